"""A spatial neck of non-local blocks on the last feature map."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmwsol.registry import MODELS


def apply_to_last(
    feats: Union[torch.Tensor, Sequence[torch.Tensor]], module: nn.Module
) -> Tuple[torch.Tensor, ...]:
    """Apply ``module`` to the last feature map and keep the others.

    Args:
        feats (torch.Tensor | Sequence[torch.Tensor]): A feature map or the
            backbone's tuple of maps (the last one is the deepest).
        module (nn.Module): The module to apply.

    Returns:
        tuple[torch.Tensor]: ``feats`` with its last element replaced by
        ``module(feats[-1])``.
    """
    if isinstance(feats, torch.Tensor):
        feats = (feats,)
    feats = tuple(feats)
    return feats[:-1] + (module(feats[-1]),)


@MODELS.register_module()
class NonLocalNeck(BaseModule):
    """Non-local blocks on the backbone's last feature map ("high level").

    The neck keeps the features spatial and of the same shape (each block is
    residual), so a CAM-style head and its localizer work on its output as
    on the backbone's. The other feature maps of the tuple pass through.

    Args:
        in_channels (int): Channels of the last feature map.
        num_blocks (int): Number of non-local blocks applied one after the
            other. Defaults to 1.
        block (dict): Config of each block; ``in_channels`` is filled in.
            Defaults to ``dict(type='NonLocalBlock2d')`` (reduction 8, no
            scaling, BN zero-initialised: the identity at init).
        init_cfg (dict, optional): Initialisation config.

    Example:
        >>> import torch
        >>> neck = NonLocalNeck(in_channels=256)
        >>> feats = (torch.rand(2, 128, 16, 16), torch.rand(2, 256, 16, 16))
        >>> [tuple(f.shape) for f in neck(feats)]
        [(2, 128, 16, 16), (2, 256, 16, 16)]
    """

    def __init__(
        self,
        in_channels: int,
        num_blocks: int = 1,
        block: dict = dict(type='NonLocalBlock2d'),
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 1:
            raise ValueError(f'num_blocks={num_blocks} must be >= 1')
        self.in_channels = in_channels
        self.blocks = nn.Sequential(
            *[
                MODELS.build(dict(block, in_channels=in_channels))
                for _ in range(num_blocks)
            ]
        )

    def forward(
        self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
    ) -> Tuple[torch.Tensor, ...]:
        """Apply the blocks to the last map; return the tuple of maps."""
        return apply_to_last(inputs, self.blocks)
