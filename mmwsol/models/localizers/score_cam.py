"""Score-CAM (Wang et al., CVPR Workshops 2020) on any layer."""

from typing import Callable, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsol.registry import MODELS

from .base import BaseLocalizer
from .functional import eval_mode
from .grad_capture import (
    SCORES,
    LayerGradCapture,
    model_logits,
    select_scores,
)


def score_cam_masks(
    acts: torch.Tensor, size: Tuple[int, int], align_corners: bool = False
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Upsample activation channels to the input size and min-max
    normalise each to ``[0, 1]``.

    Args:
        acts (torch.Tensor): Channels ``(B, h, w)``.
        size (tuple[int, int]): Input ``(H, W)``.
        align_corners (bool): Of the bilinear upsampling. Defaults to
            False (the Score-CAM authors' code; pytorch-grad-cam: True).

    Returns:
        tuple[torch.Tensor, torch.Tensor]: Masks ``(B, 1, H, W)`` (all
        zeros for a constant channel) and whether each channel is
        non-constant ``(B, )`` after upsampling.
    """
    up = F.interpolate(
        acts[:, None].float(),
        size=tuple(int(s) for s in size),
        mode='bilinear',
        align_corners=align_corners,
    )
    flat = up.flatten(1)
    lo = flat.min(dim=1).values[:, None, None, None]
    hi = flat.max(dim=1).values[:, None, None, None]
    span = hi - lo
    varies = (span > 0).flatten()
    masks = (up - lo) / torch.where(span > 0, span, torch.ones_like(span))
    return masks, varies


def score_cam_channel_scores(
    forward: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    acts: torch.Tensor,
    targets: torch.Tensor,
    score: str = 'softmax',
    batch_size: int = 64,
    skip_constant: bool = True,
    align_corners: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The target scores of the inputs masked by each activation channel.

    For every sample ``n`` and channel ``c``, ``inputs[n]`` is multiplied
    by the normalised, upsampled channel (:func:`score_cam_masks`) and run
    through ``forward``; ``batch_size`` masked inputs per call, so memory
    is bounded whatever ``N x C``. Call it under ``torch.no_grad``.

    Args:
        forward (Callable): Maps inputs ``(B, 3, H, W)`` to logits.
        inputs (torch.Tensor): Input batch ``(N, 3, H, W)``.
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        targets (torch.Tensor): Target classes ``(N, T)``.
        score (str): See :func:`select_scores`. Defaults to ``'softmax'``.
        batch_size (int): Masked inputs per forward call. Defaults to 64.
        skip_constant (bool): Do not run the channels that are constant
            (e.g. all-zero after a ReLU): their scores are 0 and they are
            marked invalid. Defaults to True (the authors' code). If False
            they mask the input with zeros (pytorch-grad-cam).
        align_corners (bool): See :func:`score_cam_masks`.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: Scores ``(N, T, C)`` and which
        channels were run ``(N, C)`` (bool).
    """
    if acts.dim() != 4 or acts.shape[0] != inputs.shape[0]:
        raise ValueError(
            f'expected acts (N, C, h, w) with N = {inputs.shape[0]}, '
            f'got {tuple(acts.shape)}'
        )
    if int(batch_size) < 1:
        raise ValueError(f'batch_size={batch_size} must be >= 1')
    num, chans = acts.shape[:2]
    size = inputs.shape[-2:]
    flat = acts.flatten(0, 1)  # (N * C, h, w), sample-major
    pos = torch.arange(num * chans, device=acts.device)
    if skip_constant:
        mins = flat.flatten(1).min(dim=1).values
        maxs = flat.flatten(1).max(dim=1).values
        # bilinear upsampling keeps a channel constant iff it was
        pos = pos[maxs > mins]
    scores = acts.new_zeros((num * chans, targets.shape[1]))
    ran = torch.zeros(num * chans, dtype=torch.bool, device=acts.device)
    for chunk in pos.split(int(batch_size)):
        masks, _ = score_cam_masks(flat[chunk], size, align_corners)
        rows = torch.div(chunk, chans, rounding_mode='floor')
        logits = forward(inputs[rows] * masks)
        scores[chunk] = select_scores(logits, targets[rows], score).float()
        ran[chunk] = True
    return scores.view(num, chans, -1).transpose(1, 2), ran.view(num, chans)


def score_cam_maps(
    acts: torch.Tensor,
    scores: torch.Tensor,
    ran: Optional[torch.Tensor] = None,
    channel_softmax: bool = False,
    relu: bool = True,
) -> torch.Tensor:
    """Score-CAM maps ``relu(sum_c w_c Z_c)`` from the channel scores.

    The weights are the scores (``channel_softmax=False``, the paper and
    the authors' code) or their softmax over the channels that were run
    (pytorch-grad-cam). Channels not run have weight 0.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        scores (torch.Tensor): Channel scores ``(N, T, C)``.
        ran (torch.Tensor, optional): ``(N, C)`` bool, the channels run.
            Defaults to None: all.
        channel_softmax (bool): Softmax of the scores over the channels.
            Defaults to False.
        relu (bool): Apply ReLU to the map. Defaults to True.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    if scores.dim() != 3 or scores.shape[::2] != acts.shape[:2]:
        raise ValueError(
            'expected acts (N, C, h, w) and scores (N, T, C), got '
            f'{tuple(acts.shape)} and {tuple(scores.shape)}'
        )
    if ran is None:
        ran = torch.ones_like(acts[:, :, 0, 0], dtype=torch.bool)
    ran = ran[:, None, :]  # (N, 1, C)
    weights = scores.float()
    if channel_softmax:
        logits = weights.masked_fill(~ran, float('-inf'))
        weights = torch.softmax(logits, dim=2).nan_to_num(0.0)
    weights = weights.masked_fill(~ran, 0.0)
    maps = torch.einsum('ntc,nchw->nthw', weights, acts.float())
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class ScoreCAM(BaseLocalizer):
    """Score-CAM on a named layer: no gradients; the weight of a channel is
    the target's score for the input masked by that channel.

    One forward pass captures the layer (tokens become a map, as for the
    gradient localizers), then ``N x C`` masked inputs run under
    ``no_grad`` in eval mode, ``batch_size`` per forward pass: the cost is
    ``N x C / batch_size`` batched forward passes (a ResNet-50 layer4 has
    2048 channels, a DeiT-S block 384). All targets share the masked passes.
    The mask multiplies the preprocessed input (masked pixels become the
    normalisation mean), as in the authors' code and pytorch-grad-cam.

    Defaults as the authors' code: the score is the softmax probability of
    the target, not shifted by a baseline image's score; channels whose map
    is constant are skipped (weight 0); the masks are upsampled bilinearly
    with ``align_corners=False``; ReLU on the map, bilinear upsampling.
    pytorch-grad-cam's ``ScoreCAM`` (with ``ClassifierOutputTarget``) is
    ``score='logit', channel_softmax=True, skip_constant=False,
    align_corners=True``. See docs/posthoc_cams.md.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'`` or a
            transformer block.
        score (str): The score of a masked input: ``'softmax'`` (default),
            ``'logit'``, ``'log'`` or ``'log_softmax'``.
        batch_size (int): Masked inputs per forward pass. Defaults to 64.
            The maps do not depend on it.
        channel_softmax (bool): Weights = softmax of the scores over the
            channels. Defaults to False.
        skip_constant (bool): Skip constant channels. Defaults to True.
        align_corners (bool): Of the masks' upsampling. Defaults to False.
        relu (bool): Apply ReLU to the map. Defaults to True.
        upsample (str): Defaults to ``'bilinear'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        score: str = 'softmax',
        batch_size: int = 64,
        channel_softmax: bool = False,
        skip_constant: bool = True,
        align_corners: bool = False,
        relu: bool = True,
        upsample: str = 'bilinear',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if not isinstance(layer, str) or not layer:
            raise ValueError(f'layer must be a module name, got {layer!r}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        if isinstance(batch_size, bool) or int(batch_size) < 1:
            raise ValueError(f'batch_size={batch_size} must be >= 1')
        self.layer = layer
        self.score = score
        self.batch_size = int(batch_size)
        self.channel_softmax = channel_softmax
        self.skip_constant = skip_constant
        self.align_corners = align_corners
        self.relu = relu

    def layer_activation(
        self, model: nn.Module, inputs: torch.Tensor
    ) -> torch.Tensor:
        """The activation ``(N, C, h, w)`` of the layer (tokens as maps)."""
        with LayerGradCapture(model, self.layer) as capture:
            capture.run(lambda: model_logits(model, inputs))
            acts = capture.activation.float()
        if acts.dim() != 4:
            raise ValueError(
                f'layer {self.layer!r} gives a tensor of shape '
                f'{tuple(acts.shape)}; a spatial (N, C, h, w) map or '
                'tokens (N, L, C) are needed'
            )
        return acts

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw maps ``(N, T, h, w)``; ``feats`` and ``logits`` are
        not used."""
        acts = self.layer_activation(model, inputs)
        with torch.no_grad(), eval_mode(model):
            scores, ran = score_cam_channel_scores(
                lambda x: model_logits(model, x),
                inputs.float(),
                acts,
                targets,
                self.score,
                self.batch_size,
                self.skip_constant,
                self.align_corners,
            )
        return score_cam_maps(
            acts, scores, ran, self.channel_softmax, self.relu
        )

    def extra_repr(self) -> str:
        return (
            f'layer={self.layer!r}, score={self.score!r}, '
            f'batch_size={self.batch_size}, '
            f'channel_softmax={self.channel_softmax}, '
            f'skip_constant={self.skip_constant}, '
            f'align_corners={self.align_corners}, relu={self.relu}, '
            f'upsample={self.upsample!r}'
        )
