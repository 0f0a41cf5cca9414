"""Token sequences ``(N, L, C)`` of transformer backbones as maps.

A vision transformer block returns ``L = E + H * W`` tokens: ``E`` extra
tokens first (ViT: the class token, DeiT: class and distillation tokens,
Swin: none) and then the patch tokens in row-major order of the
``H x W`` patch grid. The CAM heads and the gradient localizers need the
patch tokens as an ``(N, C, H, W)`` map; the helpers here do that
reshaping and find ``E`` and the grid of an mmpretrain backbone.
"""

import math
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn as nn


class TokenLayout(NamedTuple):
    """How a backbone lays out its token sequence.

    Attributes:
        num_extra_tokens (int): Leading non-patch tokens (class,
            distillation).
        grid_hw (tuple[int, int], optional): ``(H, W)`` of the patch grid,
            None when unknown.
    """

    num_extra_tokens: int
    grid_hw: Optional[Tuple[int, int]]


def _check_hw(grid_hw: Sequence[int], name: str) -> Tuple[int, int]:
    """Return ``grid_hw`` as a tuple of two positive ints."""
    if len(grid_hw) != 2 or any(int(v) <= 0 for v in grid_hw):
        raise ValueError(
            f'{name} must be two positive ints (H, W), got {grid_hw}'
        )
    return int(grid_hw[0]), int(grid_hw[1])


def infer_grid(
    num_tokens: int, input_hw: Optional[Sequence[int]] = None
) -> Tuple[int, int]:
    """Guess the ``(H, W)`` grid of ``num_tokens`` patch tokens.

    Without ``input_hw`` the grid must be square. With it, the grid is the
    factorisation ``H * W == num_tokens`` whose aspect ratio is closest to
    the input's (a 64 x 128 image with 16-pixel patches: 32 tokens ->
    ``(4, 8)``).

    Args:
        num_tokens (int): Number of patch tokens (extra tokens removed).
        input_hw (Sequence[int], optional): ``(H, W)`` of the network input.

    Returns:
        tuple[int, int]: The grid ``(H, W)``.
    """
    if num_tokens <= 0:
        raise ValueError(f'no patch tokens to reshape (L={num_tokens})')
    if input_hw is None:
        side = math.isqrt(num_tokens)
        if side * side != num_tokens:
            raise ValueError(
                f'{num_tokens} patch tokens do not form a square grid; '
                'give grid_hw=(H, W) (or the input size) for a '
                'non-square grid'
            )
        return side, side
    in_h, in_w = _check_hw(input_hw, 'input_hw')
    target = math.log(in_h / in_w)
    pairs = [
        (h, num_tokens // h)
        for h in range(1, num_tokens + 1)
        if num_tokens % h == 0
    ]
    return min(pairs, key=lambda p: abs(math.log(p[0] / p[1]) - target))


def tokens_to_map(
    x: torch.Tensor,
    num_extra_tokens: int = 0,
    grid_hw: Optional[Sequence[int]] = None,
) -> torch.Tensor:
    """Turn a token sequence ``(N, L, C)`` into a map ``(N, C, H, W)``.

    Args:
        x (torch.Tensor): Tokens ``(N, L, C)``, extra tokens first, then
            the patch tokens in row-major grid order.
        num_extra_tokens (int): Leading tokens to drop (class,
            distillation). Defaults to 0.
        grid_hw (Sequence[int], optional): ``(H, W)`` of the patch grid;
            when None the grid must be square.

    Returns:
        torch.Tensor: The patch tokens as an ``(N, C, H, W)`` map.
    """
    if x.dim() != 3:
        raise ValueError(
            f'tokens_to_map needs tokens (N, L, C), got shape {tuple(x.shape)}'
        )
    if num_extra_tokens < 0:
        raise ValueError(f'num_extra_tokens={num_extra_tokens} must be >= 0')
    n, length, channels = x.shape
    num_patches = length - num_extra_tokens
    if grid_hw is None:
        try:
            h, w = infer_grid(num_patches)
        except ValueError as err:
            raise ValueError(
                f'tokens of shape {tuple(x.shape)} with '
                f'num_extra_tokens={num_extra_tokens}: {err}'
            ) from None
    else:
        h, w = _check_hw(grid_hw, 'grid_hw')
        if h * w != num_patches:
            raise ValueError(
                f'tokens of shape {tuple(x.shape)} minus '
                f'{num_extra_tokens} extra token(s) leave {num_patches} '
                f'patch tokens, not grid_hw={h}x{w}={h * w}'
            )
    patches = x[:, num_extra_tokens:]
    return patches.transpose(1, 2).reshape(n, channels, h, w)


def patch_grid(
    patch_embed: nn.Module, input_hw: Sequence[int]
) -> Tuple[int, int]:
    """Grid ``(H, W)`` an mmcv / mmpretrain ``PatchEmbed`` gives an input.

    Args:
        patch_embed (nn.Module): A patch embedding with a convolution
            ``projection`` and optionally an ``adaptive_padding``.
        input_hw (Sequence[int]): ``(H, W)`` of the input image.

    Returns:
        tuple[int, int]: The patch grid.
    """
    conv = getattr(patch_embed, 'projection', None)
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(
            f'{type(patch_embed).__name__} has no Conv2d `projection`; '
            'cannot compute its patch grid'
        )
    in_h, in_w = _check_hw(input_hw, 'input_hw')
    pad_h = pad_w = 0
    adaptive = getattr(patch_embed, 'adaptive_padding', None)
    if adaptive is not None:
        pad_h, pad_w = adaptive.get_pad_shape((in_h, in_w))
    out = []
    for size, pad, i in ((in_h, pad_h, 0), (in_w, pad_w, 1)):
        span = conv.dilation[i] * (conv.kernel_size[i] - 1) + 1
        padded = size + pad + 2 * conv.padding[i]
        out.append((padded - span) // conv.stride[i] + 1)
    return out[0], out[1]


def token_layout(
    backbone: nn.Module, input_hw: Optional[Sequence[int]] = None
) -> TokenLayout:
    """Extra tokens and patch grid of an mmpretrain transformer backbone.

    Reads ``num_extra_tokens`` (ViT: 1, or 0 without class token; DeiT: 2;
    Swin: 0; other backbones: 0) and the grid of ``patch_embed`` at
    ``input_hw`` (or ``patch_resolution``, the grid at the configured
    ``img_size``, when ``input_hw`` is None). The grid is that of the
    patch embedding: the tokens of the first stage of a hierarchical
    backbone (Swin), and of every block of a plain one (ViT, DeiT).

    Args:
        backbone (nn.Module): The backbone.
        input_hw (Sequence[int], optional): ``(H, W)`` of the input.

    Returns:
        TokenLayout: ``num_extra_tokens`` and ``grid_hw`` (None when the
        backbone has no patch embedding).
    """
    extra = int(getattr(backbone, 'num_extra_tokens', 0) or 0)
    grid = None
    patch_embed = getattr(backbone, 'patch_embed', None)
    if patch_embed is not None and input_hw is not None:
        try:
            grid = patch_grid(patch_embed, input_hw)
        except TypeError:
            grid = None
    if grid is None and input_hw is None:
        resolution = getattr(backbone, 'patch_resolution', None)
        if resolution is not None:
            grid = _check_hw(resolution, 'patch_resolution')
    return TokenLayout(extra, grid)
