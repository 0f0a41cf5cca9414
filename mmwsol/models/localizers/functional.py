"""Pure torch helpers shared by the localizers."""

from contextlib import ExitStack, contextmanager
from typing import Any, Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Run ``model`` in eval mode, then restore every module's own mode.

    Args:
        model (nn.Module): The model.
    """
    modes = {m: m.training for m in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for module, mode in modes.items():
            module.training = mode


#: Device types whose autocast state :func:`autocast_disabled` switches off.
AUTOCAST_DEVICES = ('cpu', 'cuda', 'xpu', 'mps', 'hpu')


def autocast_disabled(*device_types: str) -> ExitStack:
    """A context in which autocast is off on every device type it was on.

    Localizers compute in float32 whatever the caller's mixed precision
    state (``--amp`` wraps the test loop in ``torch.autocast``): matrix
    products and gradients in float16 / bfloat16 move the maps. The caller's
    state is restored on exit.

    Args:
        *device_types (str): Device types to switch off besides those of
            :data:`AUTOCAST_DEVICES` (e.g. the input's).

    Returns:
        contextlib.ExitStack: The context manager.
    """
    stack = ExitStack()
    for device in dict.fromkeys(AUTOCAST_DEVICES + tuple(device_types)):
        try:
            enabled = torch.is_autocast_enabled(device)
        except RuntimeError:  # a device type this build does not know
            continue
        if enabled:
            stack.enter_context(torch.autocast(device, enabled=False))
    return stack


def to_float32(x: Any) -> Any:
    """Cast lower-precision floating tensors (also inside tuples / lists) to
    float32; other values are returned unchanged (float32 / float64 tensors
    without a copy).

    Args:
        x: A tensor, a tuple / list of tensors, or anything else (None).

    Returns:
        The same structure with float16 / bfloat16 tensors as float32.
    """
    if isinstance(x, torch.Tensor):
        low = x.is_floating_point() and torch.finfo(x.dtype).bits < 32
        return x.float() if low else x
    if isinstance(x, (tuple, list)):
        return type(x)(to_float32(v) for v in x)
    return x


def finite_maps(maps: torch.Tensor) -> torch.Tensor:
    """Whether each 2-D map holds only finite values.

    Args:
        maps (torch.Tensor): Maps of shape ``(..., H, W)``.

    Returns:
        torch.Tensor: Bool tensor of shape ``(...)``.
    """
    return torch.isfinite(maps).flatten(-2).all(dim=-1)


def normalize_last_dim(x: torch.Tensor) -> torch.Tensor:
    """Min-max normalise ``x`` over its last dimension to ``[0, 1]``.

    A vector that is constant, or that holds a NaN/inf value, becomes all
    zeros (an empty prediction for the community evaluator). The dtype is
    kept.

    Args:
        x (torch.Tensor): Floating tensor of shape ``(..., D)``.

    Returns:
        torch.Tensor: Normalised tensor of the same shape and dtype.
    """
    finite = torch.isfinite(x).all(dim=-1, keepdim=True)
    safe = torch.where(torch.isfinite(x), x, torch.zeros_like(x))
    lo = safe.amin(dim=-1, keepdim=True)
    span = safe.amax(dim=-1, keepdim=True) - lo
    valid = finite & (span > 0)
    out = torch.where(
        valid,
        (safe - lo) / torch.where(valid, span, 1.0),
        torch.zeros_like(safe),
    )
    return out.clamp_(0.0, 1.0)


def normalize_maps(maps: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each 2-D map to ``[0, 1]`` (in float32).

    A map that is constant, or that holds a NaN/inf value, becomes all zeros:
    the community evaluator treats it as an empty prediction.

    Args:
        maps (torch.Tensor): Maps of shape ``(..., H, W)``.

    Returns:
        torch.Tensor: Normalised float32 maps with the input's shape.
    """
    maps = maps.float()
    return normalize_last_dim(maps.flatten(-2)).view_as(maps)


def resize_maps(
    maps: torch.Tensor, size: Sequence[int], mode: str = 'bicubic'
) -> torch.Tensor:
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
