"""A neck that fuses the branches of HRNet-like backbones at one scale."""

from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsol.registry import MODELS

from .select_branch import as_tuple


def upsample_concat(
    feats: Sequence[torch.Tensor],
    target: int = 0,
    mode: str = 'bilinear',
    align_corners: bool = False,
) -> torch.Tensor:
    """Resize every map to the size of ``feats[target]`` and concatenate
    them along the channels (the HRNetV2 representation).

    Args:
        feats (Sequence[torch.Tensor]): Maps ``(N, C_i, H_i, W_i)``.
        target (int): Index of the map whose size is kept. Defaults to 0.
        mode (str): Interpolation mode. Defaults to ``'bilinear'``.
        align_corners (bool): As in ``F.interpolate``. Defaults to False.

    Returns:
        torch.Tensor: ``(N, sum C_i, H_target, W_target)``.
    """
    size = feats[target].shape[-2:]
    kw = {} if mode == 'nearest' else dict(align_corners=align_corners)
    resized = [
        x if x.shape[-2:] == size else F.interpolate(x, size, mode=mode, **kw)
        for x in feats
    ]
    return torch.cat(resized, dim=1)


@MODELS.register_module()
class HRFuseNeck(nn.Module):
    """Fuse all HRNet branches at the resolution of one of them.

    mmpretrain's HRNet returns four branches (1/4 to 1/32 of the input);
    a CAM head on the default output sees only the 1/32 one. This neck
    upsamples the branches to the size of branch ``target`` (default 0,
    the 1/4 one) and concatenates them, so the head (``in_channels`` = the
    sum of the branch channels, 270 for HRNet-W18, 480 for W32) and its
    maps work at that resolution. It has no parameters.

    Args:
        target (int): Index of the branch whose resolution is kept.
            Defaults to 0.
        mode (str): Interpolation mode. Defaults to ``'bilinear'``.
        align_corners (bool): As in ``F.interpolate``. Defaults to False.
    """

    def __init__(
        self,
        target: int = 0,
        mode: str = 'bilinear',
        align_corners: bool = False,
    ):
        super().__init__()
        self.target = target
        self.mode = mode
        self.align_corners = align_corners

    def forward(
        self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
    ) -> Tuple[torch.Tensor]:
        """Return the fused map as a 1-tuple."""
        feats = as_tuple(feats)
        if not -len(feats) <= self.target < len(feats):
            raise IndexError(
                f'HRFuseNeck(target={self.target}): the backbone returned '
                f'{len(feats)} output(s); set neck.target in '
                f'[{-len(feats)}, {len(feats) - 1}]'
            )
        fused = upsample_concat(
            feats, self.target, self.mode, self.align_corners
        )
        return (fused,)

    def extra_repr(self) -> str:
        return f'target={self.target}, mode={self.mode!r}'
