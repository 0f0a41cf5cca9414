"""A neck that picks one of a multi-output backbone's feature maps."""

from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn

from mmwsol.registry import MODELS


def as_tuple(
    feats: Union[torch.Tensor, Sequence[torch.Tensor]],
) -> Tuple[torch.Tensor, ...]:
    """A feature map or a sequence of maps as a tuple."""
    return (feats,) if isinstance(feats, torch.Tensor) else tuple(feats)


@MODELS.register_module()
class SelectBranch(nn.Module):
    """Feed the head one output of the backbone instead of the last one.

    The CAM heads use the last element of the features. HRNet returns its
    branches from the highest resolution (index 0, 1/4 of the input) to the
    lowest (index 3, 1/32): ``SelectBranch(index=0)`` gives the head the
    high-resolution branch. Works for any backbone with several
    ``out_indices``.

    Args:
        index (int): Which output (Python indexing, -1 is the last).
            Defaults to 0.
    """

    def __init__(self, index: int = 0):
        super().__init__()
        self.index = index

    def forward(
        self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]
    ) -> Tuple[torch.Tensor]:
        """Return ``(feats[index], )``."""
        feats = as_tuple(feats)
        if not -len(feats) <= self.index < len(feats):
            raise IndexError(
                f'SelectBranch(index={self.index}): the backbone returned '
                f'{len(feats)} output(s); set neck.index in '
                f"[{-len(feats)}, {len(feats) - 1}] or the backbone's "
                'out_indices'
            )
        return (feats[self.index],)

    def extra_repr(self) -> str:
        return f'index={self.index}'
