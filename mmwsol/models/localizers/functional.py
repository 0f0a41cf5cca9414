"""Pure torch helpers shared by the localizers."""
from typing import Sequence

import torch
import torch.nn.functional as F


def normalize_maps(maps: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each 2-D map to ``[0, 1]``.

    A map that is constant, or that holds a NaN/inf value, becomes all zeros:
    the community evaluator treats it as an empty prediction.

    Args:
        maps (torch.Tensor): Maps of shape ``(..., H, W)``.

    Returns:
        torch.Tensor: Normalised maps with the input's shape and float dtype.
    """
    maps = maps.float()
    flat = maps.flatten(-2)
    finite = torch.isfinite(flat).all(dim=-1, keepdim=True)
    safe = torch.where(torch.isfinite(flat), flat, torch.zeros_like(flat))
    lo = safe.amin(dim=-1, keepdim=True)
    span = safe.amax(dim=-1, keepdim=True) - lo
    valid = finite & (span > 0)
    out = torch.where(valid, (safe - lo) / torch.where(valid, span, 1.),
                      torch.zeros_like(safe))
    return out.clamp_(0., 1.).view_as(maps)


def resize_maps(maps: torch.Tensor,
                size: Sequence[int],
                mode: str = 'bicubic') -> torch.Tensor:
    """Resize ``(N, T, h, w)`` maps to ``size`` (half-pixel centres).

    ``bicubic`` matches OpenCV's ``INTER_CUBIC`` used by the community
    evaluator (both use the cubic kernel with a = -0.75 and
    ``align_corners=False`` sampling).

    Args:
        maps (torch.Tensor): Maps of shape ``(N, T, h, w)``.
        size (Sequence[int]): Output ``(H, W)``.
        mode (str): ``'bicubic'``, ``'bilinear'`` or ``'nearest'``.

    Returns:
        torch.Tensor: Maps of shape ``(N, T, H, W)``.
    """
    size = tuple(int(s) for s in size)
    if tuple(maps.shape[-2:]) == size:
        return maps.float()
    kwargs = {} if mode == 'nearest' else dict(align_corners=False)
    return F.interpolate(maps.float(), size=size, mode=mode, **kwargs)
