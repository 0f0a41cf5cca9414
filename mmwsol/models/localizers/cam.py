"""Vanilla class activation maps (Zhou et al., CVPR 2016)."""

from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from .base import BaseLocalizer


def class_activation_maps(
    features: torch.Tensor,
    weights: torch.Tensor,
    targets: torch.Tensor,
    clamp_negative: bool = False,
    bias: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Compute ``sum_c w[k, c] * F_c (+ b_k)`` for the target classes.

    Args:
        features (torch.Tensor): Feature maps ``(N, C, h, w)``.
        weights (torch.Tensor): Classifier weights ``(K, C)``.
        targets (torch.Tensor): Target classes ``(N, T)``.
        clamp_negative (bool): Clamp the class weights to be non-negative at
            map time (negative weight clamping, Rethinking-CAM).
        bias (torch.Tensor, optional): Classifier bias ``(K, )``, added to
            every position of the class's map. Defaults to None (no bias).

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    if features.shape[1] != weights.shape[1]:
        raise ValueError(
            f'features have {features.shape[1]} channels but the '
            f'classifier expects {weights.shape[1]}'
        )
    w = weights[targets]  # (N, T, C)
    if clamp_negative:
        w = w.clamp(min=0)
    maps = torch.einsum('ntc,nchw->nthw', w.to(features.dtype), features)
    if bias is not None:
        if bias.shape != weights.shape[:1]:
            raise ValueError(
                f'bias must have shape ({weights.shape[0]},), '
                f'got {tuple(bias.shape)}'
            )
        maps = maps + bias.to(features.dtype)[targets][..., None, None]
    return maps


def cam_style_head(
    model: nn.Module, method: str, with_bias: bool = False
) -> nn.Module:
    """The model's head, checked to give what CAM-style maps read.

    Args:
        model (nn.Module): The classifier.
        method (str): The localizer asking, for the error message.
        with_bias (bool): Also require ``class_bias``. Defaults to False.

    Returns:
        nn.Module: ``model.head``, which has ``cam_features`` and
        ``class_weights`` (and ``class_bias`` with ``with_bias``).

    Raises:
        TypeError: The head lacks one of them.
    """
    head = model.head
    if not (hasattr(head, 'cam_features') and hasattr(head, 'class_weights')):
        raise TypeError(
            f'{type(head).__name__} does not provide '
            f'`cam_features` and `class_weights`; {method} needs '
            'a CAM-style head such as CAMHead.'
        )
    if with_bias and not hasattr(head, 'class_bias'):
        raise TypeError(
            f'{type(head).__name__} does not provide '
            f'`class_bias`; {method}(with_bias=True) needs a head '
            'such as CAMHead or RAMHead.'
        )
    return head


@MODELS.register_module()
class CAM(BaseLocalizer):
    """Class activation maps from a head's classifier weights.

    Needs a head with ``cam_features(feats)`` and ``class_weights()`` (e.g.
    :class:`CAMHead`), and ``class_bias()`` for ``with_bias``.

    The map is ``sum_c w[k, c] F_c`` (the paper's). ``with_bias=True`` adds
    the class's bias ``b_k`` and ``relu=True`` clips the map at 0: both
    together give ``ReLU(class channel)`` of a 1x1-convolution classifier,
    SPA's coarse map (the authors' ``F.relu(logits)`` on the class maps of
    their head, then min-max normalised). The bias alone is a constant shift
    that normalisation removes; with the ReLU it moves the map's minimum
    (every part below ``-b_k`` becomes the minimum), so it matters.

    Args:
        clamp_negative_weights (bool): Negative weight clamping: use
            ``max(w, 0)`` when building maps (classification is unchanged).
            Defaults to False.
        with_bias (bool): Add the classifier's bias. Defaults to False.
        relu (bool): Clip the map at 0 (after the bias). Defaults to False.
        upsample (str): Interpolation to the input size. Defaults to
            ``'bicubic'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        clamp_negative_weights: bool = False,
        with_bias: bool = False,
        relu: bool = False,
        upsample: str = 'bicubic',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        self.clamp_negative_weights = clamp_negative_weights
        self.with_bias = with_bias
        self.relu = relu

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw CAMs ``(N, T, h, w)`` for the target classes."""
        head = cam_style_head(model, 'CAM', self.with_bias)
        bias = head.class_bias() if self.with_bias else None
        maps = class_activation_maps(
            head.cam_features(feats),
            head.class_weights(),
            targets,
            self.clamp_negative_weights,
            bias,
        )
        return maps.clamp(min=0) if self.relu else maps

    def extra_repr(self) -> str:
        return (
            f'clamp_negative_weights={self.clamp_negative_weights}, '
            f'with_bias={self.with_bias}, relu={self.relu}, '
            f'upsample={self.upsample!r}'
        )
