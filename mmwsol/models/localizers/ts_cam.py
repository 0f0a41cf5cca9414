"""TS-CAM: token semantic coupled attention maps (Gao et al., ICCV 2021)."""

from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from ..utils.attention_capture import ClassTokenAttentionCapture
from .base import BaseLocalizer
from .cam import cam_style_head


def ts_cam_maps(
    attention: torch.Tensor,
    semantic: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """Couple the class token's attention with the semantic maps.

    The authors' ``TSCAM.forward`` (vasgaowei/TS-CAM,
    ``lib/models/deit.py``, test branch)::

        attn = stack(layers' attention).mean(heads)   # after softmax
        cams = attn.sum(layers)[:, 0, 1:].reshape(n, h, w)
        cams = cams[:, None] * semantic_maps           # (N, K, h, w)

    i.e. the class token's attention to the patch tokens, averaged over
    heads and summed over all layers, times each class channel of the 3x3
    convolution's output. Here ``attention`` holds the class token's row
    only; the patch tokens are its last ``h * w`` entries (the extra tokens
    -- class, DeiT's distillation -- come first, as in mmpretrain).

    Args:
        attention (torch.Tensor): ``(layers, N, heads, L)`` class token
            attention (each row sums to 1), ``L = E + h * w``.
        semantic (torch.Tensor): ``(N, K, h, w)`` semantic (class) maps.
        targets (torch.Tensor): ``(N, T)`` target classes.

    Returns:
        torch.Tensor: ``(N, T, h, w)`` maps, not normalised.
    """
    if attention.dim() != 4 or semantic.dim() != 4:
        raise ValueError(
            'attention must be (layers, N, heads, L) and semantic '
            f'(N, K, h, w), got {tuple(attention.shape)} and '
            f'{tuple(semantic.shape)}'
        )
    n, _, h, w = semantic.shape
    extra = attention.shape[-1] - h * w
    if attention.shape[1] != n or extra < 1:
        raise ValueError(
            f'attention {tuple(attention.shape)} does not match the '
            f'{h}x{w} semantic maps of {n} images: it needs N={n} and '
            f'L = (extra tokens >= 1) + {h * w} patch tokens'
        )
    coupled = attention.float().mean(dim=2).sum(dim=0)  # (N, L)
    patch = coupled[:, extra:].reshape(n, 1, h, w)
    index = targets[:, :, None, None].expand(-1, -1, h, w)
    return patch * semantic.float().gather(1, index)


@MODELS.register_module()
class TSCAM(BaseLocalizer):
    """TS-CAM maps of a ViT / DeiT classifier with a :class:`TSCAMHead`.

    The map of class ``c`` is the class token's attention to the patch
    tokens (mean over heads, sum over all layers) times channel ``c`` of
    the head's semantic maps (:func:`ts_cam_maps`). No ReLU: the authors
    resize the product (``cv2.resize``, bilinear) and min-max normalise it
    (``lib/cams_deit.py``, ``resize_cam``), which :meth:`localize` does.

    **Attention captured, not recomputed.** mmpretrain's attention does not
    return its weights (and may never materialise them:
    ``F.scaled_dot_product_attention``). :class:`ClassTokenAttentionCapture`
    hooks the ``qkv`` linear of every ``backbone.layers[i].attn`` and
    computes the class token's row ``softmax(q_cls k^T / sqrt(d))`` from its
    output: ``L * C`` extra multiply-adds per layer (see
    ``mmwsol/models/utils/attention_capture.py``). ``WSOLClassifier.predict``
    runs its forward pass inside :meth:`shared_forward`, so scores, semantic
    maps and attention come from one pass (with a head that has
    ``logits_from_class_maps``, e.g. :class:`TSCAMHead`, the 3x3 convolution
    runs once for the logits and the maps). Called on its own,
    :meth:`forward` runs the backbone again to get the attention.

    Args:
        upsample (str): Interpolation to the input size. Defaults to
            ``'bilinear'`` (the authors' ``cv2.resize`` default).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self, upsample: str = 'bilinear', init_cfg: Optional[dict] = None
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        self._shared: Optional[tuple] = None

    @contextmanager
    def shared_forward(
        self, model: nn.Module, inputs: torch.Tensor
    ) -> Iterator[Tuple[Tuple[torch.Tensor, ...], torch.Tensor]]:
        """Run the classifier once for its scores and the attention.

        Inside the ``with`` block, :meth:`forward` on the same batch uses the
        attention captured in this pass.

        Args:
            model (nn.Module): The classifier (``backbone``,
                ``extract_feat``, ``head``).
            inputs (torch.Tensor): Input batch ``(N, 3, H, W)``.

        Yields:
            tuple: The features (as ``extract_feat`` returns them) and the
            logits ``(N, K)``.
        """
        head = model.head
        semantic = None
        with ClassTokenAttentionCapture(model.backbone) as capture:
            feats = model.extract_feat(inputs)
            if hasattr(head, 'logits_from_class_maps'):
                # the class maps once, for the logits and the maps
                semantic = head.cam_features(feats)
                logits = head.logits_from_class_maps(semantic)
            else:
                logits = head(feats)
        self._shared = (capture.attention, semantic)
        try:
            yield feats, logits
        finally:
            self._shared = None

    def class_token_attention(
        self, model: nn.Module, inputs: torch.Tensor
    ) -> torch.Tensor:
        """``(layers, N, heads, L)`` attention of a new backbone pass."""
        with ClassTokenAttentionCapture(model.backbone) as capture:
            with torch.no_grad():
                model.extract_feat(inputs)
        return capture.attention

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw TS-CAM maps ``(N, T, h, w)`` for the targets."""
        head = cam_style_head(model, 'TSCAM')
        attention, semantic = self._shared or (None, None)
        if attention is None:
            attention = self.class_token_attention(model, inputs)
        elif attention.shape[1] != inputs.shape[0]:
            raise ValueError(
                'localize() inside shared_forward() must get the same '
                f'batch: {inputs.shape[0]} inputs, attention of '
                f'{attention.shape[1]}'
            )
        if semantic is None:
            semantic = head.cam_features(feats)
        return ts_cam_maps(attention, semantic, targets)

    def extra_repr(self) -> str:
        return f'upsample={self.upsample!r}'
