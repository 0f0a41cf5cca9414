"""Self-correlation map generation (SCG) of SPA (Pan et al., CVPR 2021)."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from .base import BaseLocalizer
from .functional import finite_maps
from .self_correlation import (
    COMBINATIONS,
    combine_self_correlation,
    common_size,
    seed_correlation_maps,
    self_correlation,
    spa_self_correlation_maps,
)

__all__ = [
    'SCG',
    'self_correlation',
    'combine_self_correlation',
    'seed_correlation_maps',
    'spa_self_correlation_maps',
]


@MODELS.register_module()
class SCG(BaseLocalizer):
    """Self-correlation map generation (SPA's test-time localizer).

    A coarse map from any other localizer (``coarse``, e.g. ``CAM`` or
    ``CCAM``) is refined with the high-order self-correlation of some
    feature layers (``feat_indices`` into the classifier's features, i.e.
    the backbone / neck outputs). See :func:`spa_self_correlation_maps`
    for the computation, which is batched over images and targets (the
    authors loop per image in numpy). The result, at the common feature
    size, is then resized to the input and normalised by :meth:`localize`.

    The backbone must return the SCG layers: set its ``out_indices`` to
    include them (the head uses the last output). E.g. VGG16 with SPA's
    RAM head: ``out_indices=(3, 4)`` (blocks 4 and 5, 14x14) and
    ``feat_indices=(0, 1)``.

    **The authors' coarse map** is ``ReLU(class channel)`` of SPA's head,
    bias included, min-max normalised, resized to the image size and back
    to the SCG size before the seeds are picked:
    ``coarse=dict(type='CAM', with_bias=True, relu=True)`` with
    ``coarse_via_input=True`` (the SPA configs). The defaults (``CAM``, no
    round trip) normalise the bias-free map without ReLU: with the bias and
    ReLU the minimum moves, and so does every seed threshold.
    ``coarse_via_input`` goes through the network input size; the authors
    go through the original image size, which a localizer does not see.

    **Invalid maps.** A target whose coarse map, or one of whose image's
    feature layers, holds a NaN / inf value gets an all-NaN map, which
    :meth:`localize_with_validity` reports as invalid (all zeros after
    normalisation, as before).

    Authors' defaults: CUB ``fo_th=0.1, so_th=0.5, so_weight=2,
    obj_th=0.1, bg_th=0.05``; ImageNet ``0.2, 0.2, 1, 0.1, 0.05``;
    ``order=2``, ``combination='max'``.

    Args:
        coarse (dict | BaseLocalizer): The localizer of the coarse maps.
            Defaults to ``dict(type='CAM')``.
        feat_indices (Sequence[int]): Feature layers (two or more in the
            paper; one also works). Defaults to ``(-2, -1)``.
        order (int): Order of the high-order correlation. Defaults to 2.
        fo_th (float): First-order threshold. Defaults to 0.1.
        so_th (float): High-order threshold, relative to ``1 / HW``.
            Defaults to 0.5.
        so_weight (float): Weight of the high order. Defaults to 2.
        combination (str): ``'max'``, ``'first'`` or ``'second'``.
            Defaults to ``'max'``.
        obj_th (float): ``delta_h``, object seeds. Defaults to 0.1.
        bg_th (float): ``delta_l``, background seeds. Defaults to 0.05.
        size (str | Sequence[int]): Common size of the layers: ``'max'``,
            ``'min'``, ``'last'`` or ``(h, w)``. Defaults to ``'max'``.
        resize_mode (str): Interpolation of resampled layers.
            Defaults to ``'bilinear'``.
        coarse_via_input (bool): Normalise the coarse maps, resize them
            (bilinearly) to the input size and back to the SCG size before
            picking the seeds, as the authors do. Defaults to False.
        max_batch (int, optional): Process at most this many images at once
            (the memory is ``O(images * (HW)^2)``: about 6 ``HW x HW``
            float32 matrices per image, 14 MiB at 28x28); None processes the
            whole batch. Defaults to None.
        upsample (str): Interpolation to the input size. Defaults to
            ``'bicubic'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        coarse: Union[dict, BaseLocalizer] = dict(type='CAM'),
        feat_indices: Sequence[int] = (-2, -1),
        order: int = 2,
        fo_th: float = 0.1,
        so_th: float = 0.5,
        so_weight: float = 2.0,
        combination: str = 'max',
        obj_th: float = 0.1,
        bg_th: float = 0.05,
        size: Union[str, Sequence[int]] = 'max',
        resize_mode: str = 'bilinear',
        coarse_via_input: bool = False,
        max_batch: Optional[int] = None,
        upsample: str = 'bicubic',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if max_batch is not None and max_batch < 1:
            raise ValueError(f'max_batch={max_batch} must be >= 1 or None')
        if not isinstance(coarse, nn.Module):
            coarse = MODELS.build(coarse)
        if not isinstance(coarse, BaseLocalizer):
            raise TypeError(
                f'coarse must build a localizer, got {type(coarse).__name__}'
            )
        if combination not in COMBINATIONS:
            raise ValueError(
                f'combination must be one of {COMBINATIONS}, '
                f'got {combination!r}'
            )
        if order < 1:
            raise ValueError(f'order={order} must be >= 1')
        if len(feat_indices) == 0:
            raise ValueError('feat_indices must name at least one layer')
        if isinstance(size, str):
            common_size([(1, 1)], size)  # validates the name
        self.coarse = coarse
        self.feat_indices = tuple(int(i) for i in feat_indices)
        self.order = int(order)
        self.fo_th = float(fo_th)
        self.so_th = float(so_th)
        self.so_weight = float(so_weight)
        self.combination = combination
        self.obj_th = float(obj_th)
        self.bg_th = float(bg_th)
        self.size = size if isinstance(size, str) else tuple(size)
        self.resize_mode = resize_mode
        self.coarse_via_input = bool(coarse_via_input)
        self.max_batch = max_batch

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return SCG maps ``(N, T, h, w)`` in ``[0, 1]``."""
        feats = tuple(feats) if isinstance(feats, (tuple, list)) else (feats,)
        try:
            layers = [feats[i] for i in self.feat_indices]
        except IndexError:
            raise IndexError(
                f'SCG feat_indices={self.feat_indices} but the model gives '
                f'{len(feats)} feature maps; set the backbone out_indices '
                'to return the SCG layers'
            ) from None
        coarse = self.coarse(model, inputs, feats, logits, targets).detach()
        layers = [f.detach() for f in layers]
        via = tuple(inputs.shape[-2:]) if self.coarse_via_input else None
        n = coarse.shape[0]
        step = n if self.max_batch is None else self.max_batch
        maps = [
            spa_self_correlation_maps(
                [f[i : i + step] for f in layers],
                coarse[i : i + step],
                self.order,
                self.fo_th,
                self.so_th,
                self.so_weight,
                self.combination,
                self.obj_th,
                self.bg_th,
                self.size,
                self.resize_mode,
                via,
            )
            for i in range(0, n, step)
        ]
        maps = maps[0] if len(maps) == 1 else torch.cat(maps)
        valid = finite_maps(coarse)  # (N, T)
        for f in layers:
            valid &= torch.isfinite(f).flatten(1).all(dim=1)[:, None]
        return maps.masked_fill(~valid[..., None, None], float('nan'))

    def extra_repr(self) -> str:
        return (
            f'feat_indices={self.feat_indices}, order={self.order}, '
            f'fo_th={self.fo_th}, so_th={self.so_th}, '
            f'so_weight={self.so_weight}, combination='
            f'{self.combination!r}, obj_th={self.obj_th}, bg_th='
            f'{self.bg_th}, size={self.size!r}, coarse_via_input='
            f'{self.coarse_via_input}, max_batch={self.max_batch}'
        )
