"""Pure functions of SPA's self-correlation map generation (SCG; Pan et al.,
CVPR 2021): self-correlation, its combination, seeding; batched in torch."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from .functional import normalize_last_dim

COMBINATIONS = ('max', 'first', 'second')


def _column_normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Divide every column of ``(N, P, P)`` matrices by its sum (+ eps)."""
    return x / (x.sum(dim=1, keepdim=True) + eps)


def self_correlation(
    features: torch.Tensor,
    order: int = 2,
    fo_th: float = 0.1,
    so_th: float = 0.5,
    with_high_order: bool = True,
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
        raise ValueError(
            'features must have shape (N, C, H, W), got '
            f'{tuple(features.shape)}'
        )
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
    sim.masked_fill_(sim < fo_th, 0.0)
    first = _column_normalize(sim, 1e-5)
    if not with_high_order:
        return first, None
    sim.diagonal(dim1=1, dim2=2).zero_()
    base = sim.div_(sim.sum(dim=1, keepdim=True).add_(1e-5))
    high = base
    for _ in range(order - 1):
        high = torch.bmm(high, base)
        high.div_(high.sum(dim=1, keepdim=True).add_(1e-10))
    high.masked_fill_(high < so_th / p, 0.0)
    return first, high


def combine_self_correlation(
    first: torch.Tensor,
    high: Optional[torch.Tensor],
    combination: str = 'max',
    so_weight: float = 2.0,
    inplace: bool = False,
) -> torch.Tensor:
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
        raise ValueError(
            f'combination must be one of {COMBINATIONS}, got {combination!r}'
        )
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


def seed_correlation_maps(
    hsc: torch.Tensor,
    coarse: torch.Tensor,
    obj_th: float = 0.1,
    bg_th: float = 0.05,
    inplace: bool = False,
) -> torch.Tensor:
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
        raise ValueError(
            f'coarse must have shape (N, T, P) = ({n}, T, {p}),'
            f' got {tuple(coarse.shape)}'
        )
    lo = hsc.amin(dim=1, keepdim=True)
    # a constant column is 0 after the subtraction: any positive span
    # divides it to zeros
    span = (hsc.amax(dim=1, keepdim=True) - lo).clamp_(
        min=torch.finfo(hsc.dtype).tiny
    )
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


def common_size(
    sizes: Sequence[Tuple[int, int]], size: Union[str, Sequence[int]]
) -> Tuple[int, int]:
    """The common size of layers of ``sizes``.

    Args:
        sizes (Sequence[tuple[int, int]]): ``(h, w)`` of each layer.
        size (str | Sequence[int]): ``'max'`` (largest area), ``'min'``,
            ``'last'`` or an explicit ``(h, w)``.

    Returns:
        tuple[int, int]: The size.
    """
    if isinstance(size, str):
        areas = [h * w for h, w in sizes]
        if size == 'max':
            return tuple(sizes[areas.index(max(areas))])
        if size == 'min':
            return tuple(sizes[areas.index(min(areas))])
        if size == 'last':
            return tuple(sizes[-1])
        raise ValueError(
            f"size must be 'max', 'min', 'last' or (h, w), got {size!r}"
        )
    return (int(size[0]), int(size[1]))


def spa_self_correlation_maps(
    features: Sequence[torch.Tensor],
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
    coarse_via: Optional[Sequence[int]] = None,
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
    out_size = common_size([tuple(f.shape[-2:]) for f in features], size)
    kwargs = {} if resize_mode == 'nearest' else dict(align_corners=False)
    hsc = None
    for feat in features:
        if tuple(feat.shape[-2:]) != out_size:
            feat = F.interpolate(
                feat.to(torch.promote_types(feat.dtype, torch.float32)),
                size=out_size,
                mode=resize_mode,
                **kwargs,
            )
        first, high = self_correlation(
            feat, order, fo_th, so_th, with_high_order=combination != 'first'
        )
        layer = combine_self_correlation(
            first, high, combination, so_weight, inplace=True
        )
        hsc = layer if hsc is None else hsc.add_(layer)
        del first, high, layer
    coarse = coarse.to(hsc.dtype)
    if coarse_via is not None:
        coarse = normalize_last_dim(coarse.flatten(2)).view_as(coarse)
        for step in (tuple(int(s) for s in coarse_via), out_size):
            if tuple(coarse.shape[-2:]) != step:
                coarse = F.interpolate(
                    coarse, size=step, mode='bilinear', align_corners=False
                )
        coarse = coarse.flatten(2)
    else:
        if tuple(coarse.shape[-2:]) != out_size:
            coarse = F.interpolate(
                coarse, size=out_size, mode='bilinear', align_corners=False
            )
        coarse = normalize_last_dim(coarse.flatten(2))
    maps = seed_correlation_maps(hsc, coarse, obj_th, bg_th, inplace=True)
    return maps.view(*maps.shape[:2], *out_size)
