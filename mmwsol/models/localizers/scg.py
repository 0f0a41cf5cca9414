"""Self-correlation map generation (SCG) of SPA (Pan et al., CVPR 2021)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsol.registry import MODELS
from .base import BaseLocalizer
from .functional import finite_maps, normalize_last_dim

COMBINATIONS = ('max', 'first', 'second')


def _column_normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Divide every column of ``(N, P, P)`` matrices by its sum (+ eps)."""
    return x / (x.sum(dim=1, keepdim=True) + eps)


def self_correlation(features: torch.Tensor,
                     order: int = 2,
                     fo_th: float = 0.1,
                     so_th: float = 0.5,
                     with_high_order: bool = True
                     ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """First- and high-order self-correlation of one feature layer (batched).

    With ``P = H * W`` positions and ``f_i`` the L2-normalised feature
    vector at position ``i`` (the authors' code; paper eqs. 6-10):

    - ``S = ReLU(f_i . f_j)`` (cosine similarity), entries below ``fo_th``
      set to 0;
    - first order ``SC1 = S`` with each column divided by its sum;
    - ``A = S`` with its diagonal zeroed (``i != k``), column-normalised;
      high order ``SC_o = A^o``, each product column-normalised again
      (``order=2`` is the paper's second order; ``order=1`` is ``A``);
      entries of ``SC_o`` below ``so_th / P`` set to 0 (``so_th`` is
      relative to the uniform column value ``1 / P``).

    The paper's eq. 9 min-max normalises ``S2`` per row; the authors' VGG
    code column-normalises it, which is done here.

    Args:
        features (torch.Tensor): ``(N, C, H, W)`` features.
        order (int): Order of the high-order correlation (>= 1).
            Defaults to 2.
        fo_th (float): Threshold on the cosine similarity. Defaults to 0.1.
        so_th (float): Threshold on the high order, in units of ``1 / P``.
            Defaults to 0.5.
        with_high_order (bool): Compute the high order (False returns None
            for it, for first-order-only SCG). Defaults to True.

    Returns:
        tuple[torch.Tensor, torch.Tensor | None]: ``(SC1, SC_o)``, each
        ``(N, P, P)`` (float32, or float64 for float64 input); column ``j``
        is the correlation of every position with position ``j``.
    """
    if features.dim() != 4:
        raise ValueError('features must have shape (N, C, H, W), got '
                         f'{tuple(features.shape)}')
    if order < 1:
        raise ValueError(f'order={order} must be >= 1')
    h, w = features.shape[-2:]
    p = h * w
    dtype = torch.promote_types(features.dtype, torch.float32)
    f = features.to(dtype).flatten(2)  # (N, C, P)
    # (norm over the contiguous channel axis, then (N, P, C))
    f = (f / (f.norm(dim=1, keepdim=True) + 1e-10)).transpose(1, 2)
    # every step below works in place on matrices this function owns
    sim = torch.bmm(f, f.transpose(1, 2)).clamp_(min=0)
    sim.masked_fill_(sim < fo_th, 0.)
    first = _column_normalize(sim, 1e-5)
    if not with_high_order:
        return first, None
    sim.diagonal(dim1=1, dim2=2).zero_()
    base = sim.div_(sim.sum(dim=1, keepdim=True).add_(1e-5))
    high = base
    for _ in range(order - 1):
        high = torch.bmm(high, base)
        high.div_(high.sum(dim=1, keepdim=True).add_(1e-10))
    high.masked_fill_(high < so_th / p, 0.)
    return first, high


def combine_self_correlation(first: torch.Tensor,
                             high: Optional[torch.Tensor],
                             combination: str = 'max',
                             so_weight: float = 2.0,
                             inplace: bool = False) -> torch.Tensor:
    """Combine first- and high-order correlations into ``HSC`` (eq. 11).

    ``'max'``: ``max(SC1, so_weight * SC_o)``, column-normalised (the
    authors' ``--scg_com``); ``'first'``: ``SC1``; ``'second'``: ``SC_o``.

    Args:
        first (torch.Tensor): ``(N, P, P)`` first order.
        high (torch.Tensor | None): ``(N, P, P)`` high order (not needed for
            ``'first'``).
        combination (str): ``'max'``, ``'first'`` or ``'second'``.
        so_weight (float): Weight of the high order in ``'max'``.
            Defaults to 2.
        inplace (bool): Reuse the memory of ``first`` and ``high`` (both
            are overwritten). Defaults to False.

    Returns:
        torch.Tensor: ``(N, P, P)``.
    """
    if combination not in COMBINATIONS:
        raise ValueError(f'combination must be one of {COMBINATIONS}, got '
                         f'{combination!r}')
    if combination == 'first':
        return first
    if high is None:
        raise ValueError(f'combination {combination!r} needs the high order')
    if combination == 'second':
        return high
    if inplace:
        out = torch.maximum(first, high.mul_(so_weight), out=first)
        return out.div_(out.sum(dim=1, keepdim=True).add_(1e-10))
    return _column_normalize(torch.maximum(first, so_weight * high), 1e-10)


def seed_correlation_maps(hsc: torch.Tensor,
                          coarse: torch.Tensor,
                          obj_th: float = 0.1,
                          bg_th: float = 0.05,
                          inplace: bool = False) -> torch.Tensor:
    """SCG maps from ``HSC`` and normalised coarse maps (Algorithm 1).

    For each target map: object seeds are the positions with
    ``coarse >= obj_th`` (``delta_h``), background seeds those with
    ``coarse <= bg_th`` (``delta_l``). Each seed's column of ``HSC`` is
    min-max normalised, the columns of the object (background) seeds are
    summed and the sum min-max normalised into ``M_obj`` (``M_bg``); the
    map is ``max(M_obj - M_bg, 0)``, min-max normalised.

    Edge cases (as in the authors' code): no object seed gives
    ``M_obj = 0`` and so an all-zero map (an empty prediction); no
    background seed gives ``M_bg = 0`` (the map is ``M_obj``). A constant
    column, or a constant sum, normalises to zeros. (The reference adds
    ``1e-10`` to each min-max denominator; here a zero span gives zeros and
    other spans are divided exactly.)

    Args:
        hsc (torch.Tensor): ``(N, P, P)`` self-correlation.
        coarse (torch.Tensor): ``(N, T, P)`` coarse maps in ``[0, 1]``.
        obj_th (float): ``delta_h``. Defaults to 0.1.
        bg_th (float): ``delta_l``. Defaults to 0.05.
        inplace (bool): Normalise the columns in the memory of ``hsc``
            (which is overwritten). Defaults to False.

    Returns:
        torch.Tensor: ``(N, T, P)`` maps in ``[0, 1]``.
    """
    n, p, _ = hsc.shape
    if coarse.dim() != 3 or coarse.shape[0] != n or coarse.shape[2] != p:
        raise ValueError(f'coarse must have shape (N, T, P) = ({n}, T, {p}),'
                         f' got {tuple(coarse.shape)}')
    lo = hsc.amin(dim=1, keepdim=True)
    # a constant column is 0 after the subtraction: any positive span
    # divides it to zeros
    span = (hsc.amax(dim=1, keepdim=True) - lo).clamp_(
        min=torch.finfo(hsc.dtype).tiny)
    cols = hsc.sub_(lo) if inplace else hsc - lo
    cols.div_(span)
    coarse = coarse.to(cols.dtype)
    seeds = torch.cat([(coarse >= obj_th), (coarse <= bg_th)], dim=1)
    # (N, P, P) @ (N, P, 2T): the summed normalised columns of the seeds
    sums = torch.bmm(cols, seeds.to(cols.dtype).transpose(1, 2))
    sums = normalize_last_dim(sums.transpose(1, 2))
    t = coarse.shape[1]
    obj, bg = sums[:, :t], sums[:, t:]
    maps = (obj - bg).clamp_(min=0)
    return normalize_last_dim(maps)


def _common_size(sizes: Sequence[Tuple[int, int]],
                 size: Union[str, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, str):
        areas = [h * w for h, w in sizes]
        if size == 'max':
            return tuple(sizes[areas.index(max(areas))])
        if size == 'min':
            return tuple(sizes[areas.index(min(areas))])
        if size == 'last':
            return tuple(sizes[-1])
        raise ValueError(f"size must be 'max', 'min', 'last' or (h, w), got "
                         f'{size!r}')
    return (int(size[0]), int(size[1]))


def spa_self_correlation_maps(features: Sequence[torch.Tensor],
                              coarse: torch.Tensor,
                              order: int = 2,
                              fo_th: float = 0.1,
                              so_th: float = 0.5,
                              so_weight: float = 2.0,
                              combination: str = 'max',
                              obj_th: float = 0.1,
                              bg_th: float = 0.05,
                              size: Union[str, Sequence[int]] = 'max',
                              resize_mode: str = 'bilinear',
                              coarse_via: Optional[Sequence[int]] = None
                              ) -> torch.Tensor:
    """The whole SCG, batched: features + coarse maps -> SCG maps.

    Every layer gets its ``HSC`` (:func:`self_correlation`,
    :func:`combine_self_correlation`); the ``HSC`` of the layers are summed
    (the authors sum VGG16 blocks 4 and 5) and seeded with the coarse maps
    (:func:`seed_correlation_maps`). Layers whose size differs from the
    common ``size`` are resampled to it (``resize_mode``) before their
    correlation. The coarse maps are resampled bilinearly to the common size
    and min-max normalised; with ``coarse_via`` they are min-max normalised
    at their own size, resized bilinearly to ``coarse_via`` and then to the
    common size, and not normalised again (the authors' code, which goes
    through the original image size: the round trip smooths the map and
    lowers its peak, which moves the seeds).

    Args:
        features (Sequence[torch.Tensor]): ``(N, C_l, H_l, W_l)`` maps.
        coarse (torch.Tensor): ``(N, T, h, w)`` raw coarse maps.
        order, fo_th, so_th: See :func:`self_correlation`.
        so_weight, combination: See :func:`combine_self_correlation`.
        obj_th, bg_th: See :func:`seed_correlation_maps`.
        size (str | Sequence[int]): Common size: ``'max'`` (largest layer),
            ``'min'``, ``'last'`` or ``(h, w)``. Defaults to ``'max'``.
        resize_mode (str): Interpolation of the resampled features.
            Defaults to ``'bilinear'``.
        coarse_via (Sequence[int], optional): ``(H, W)`` the normalised
            coarse maps go through before the common size (see above).
            Defaults to None (directly).

    Returns:
        torch.Tensor: ``(N, T, H, W)`` maps in ``[0, 1]`` at the common
        size.
    """
    if len(features) == 0:
        raise ValueError('SCG needs at least one feature layer')
    out_size = _common_size([tuple(f.shape[-2:]) for f in features], size)
    kwargs = {} if resize_mode == 'nearest' else dict(align_corners=False)
    hsc = None
    for feat in features:
        if tuple(feat.shape[-2:]) != out_size:
            feat = F.interpolate(
                feat.to(torch.promote_types(feat.dtype, torch.float32)),
                size=out_size, mode=resize_mode, **kwargs)
        first, high = self_correlation(
            feat, order, fo_th, so_th, with_high_order=combination != 'first')
        layer = combine_self_correlation(
            first, high, combination, so_weight, inplace=True)
        hsc = layer if hsc is None else hsc.add_(layer)
        del first, high, layer
    coarse = coarse.to(hsc.dtype)
    if coarse_via is not None:
        coarse = normalize_last_dim(coarse.flatten(2)).view_as(coarse)
        for step in (tuple(int(s) for s in coarse_via), out_size):
            if tuple(coarse.shape[-2:]) != step:
                coarse = F.interpolate(
                    coarse, size=step, mode='bilinear', align_corners=False)
        coarse = coarse.flatten(2)
    else:
        if tuple(coarse.shape[-2:]) != out_size:
            coarse = F.interpolate(
                coarse, size=out_size, mode='bilinear', align_corners=False)
        coarse = normalize_last_dim(coarse.flatten(2))
    maps = seed_correlation_maps(hsc, coarse, obj_th, bg_th, inplace=True)
    return maps.view(*maps.shape[:2], *out_size)


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

    def __init__(self,
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
                 init_cfg: Optional[dict] = None):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if max_batch is not None and max_batch < 1:
            raise ValueError(f'max_batch={max_batch} must be >= 1 or None')
        if not isinstance(coarse, nn.Module):
            coarse = MODELS.build(coarse)
        if not isinstance(coarse, BaseLocalizer):
            raise TypeError('coarse must build a localizer, got '
                            f'{type(coarse).__name__}')
        if combination not in COMBINATIONS:
            raise ValueError(f'combination must be one of {COMBINATIONS}, '
                             f'got {combination!r}')
        if order < 1:
            raise ValueError(f'order={order} must be >= 1')
        if len(feat_indices) == 0:
            raise ValueError('feat_indices must name at least one layer')
        if isinstance(size, str):
            _common_size([(1, 1)], size)  # validates the name
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

    def forward(self, model: nn.Module, inputs: torch.Tensor,
                feats: Tuple[torch.Tensor], logits: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """Return SCG maps ``(N, T, h, w)`` in ``[0, 1]``."""
        feats = tuple(feats) if isinstance(feats, (tuple, list)) \
            else (feats, )
        try:
            layers = [feats[i] for i in self.feat_indices]
        except IndexError:
            raise IndexError(
                f'SCG feat_indices={self.feat_indices} but the model gives '
                f'{len(feats)} feature maps; set the backbone out_indices '
                'to return the SCG layers') from None
        coarse = self.coarse(model, inputs, feats, logits, targets).detach()
        layers = [f.detach() for f in layers]
        via = tuple(inputs.shape[-2:]) if self.coarse_via_input else None
        n = coarse.shape[0]
        step = n if self.max_batch is None else self.max_batch
        maps = [
            spa_self_correlation_maps(
                [f[i:i + step] for f in layers], coarse[i:i + step],
                self.order, self.fo_th, self.so_th, self.so_weight,
                self.combination, self.obj_th, self.bg_th, self.size,
                self.resize_mode, via) for i in range(0, n, step)
        ]
        maps = maps[0] if len(maps) == 1 else torch.cat(maps)
        valid = finite_maps(coarse)  # (N, T)
        for f in layers:
            valid &= torch.isfinite(f).flatten(1).all(dim=1)[:, None]
        return maps.masked_fill(~valid[..., None, None], float('nan'))

    def extra_repr(self) -> str:
        return (f'feat_indices={self.feat_indices}, order={self.order}, '
                f'fo_th={self.fo_th}, so_th={self.so_th}, '
                f'so_weight={self.so_weight}, combination='
                f'{self.combination!r}, obj_th={self.obj_th}, bg_th='
                f'{self.bg_th}, size={self.size!r}, coarse_via_input='
                f'{self.coarse_via_input}, max_batch={self.max_batch}')
