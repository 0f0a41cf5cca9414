"""A small CNN for fast CPU runs (demo, tests) of WSOL methods."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.utils.dl_utils.parrots_wrapper import _BatchNorm
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmwsol.registry import MODELS

from .utils import normalize_out_indices


@MODELS.register_module()
class TinyWSOLNet(BaseBackbone):
    """A small VGG-like CNN for WSOL on CPU.

    Each stage is ``stage_blocks[i]`` 3x3 convolutions (Conv-BN-ReLU by
    default) followed by a max-pooling of stride ``pool_strides[i]`` (none
    where it is 1). The defaults, channels 32-64-128-256, blocks 1-1-2-2 and
    pool strides 2-2-2-1, give a total stride of 8 with no pooling after the
    last stage: a 128x128 input gives 16x16 maps (112x112 gives 14x14), the
    same order of resolution as the 14x14 maps of the WSOL VGG16 / ResNet50
    / InceptionV3 backbones at 224 input. About 1.1M parameters.

    ``out_indices`` counts the stages (output taken after the stage's
    pooling, negative indices count from the end). With the defaults and a
    128x128 input:

    =====  ========  ========
    index  channels  size
    =====  ========  ========
    0      32        64x64
    1      64        32x32
    2      128       16x16
    3      256       16x16
    =====  ========  ========

    Stages 2 and 3 share their size, which multi-layer methods such as
    SPA's self-correlation (two layers of equal size) need.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        stage_channels (Sequence[int]): Output channels of each stage.
            Defaults to ``(32, 64, 128, 256)``.
        stage_blocks (Sequence[int]): Number of 3x3 convolutions in each
            stage. Defaults to ``(1, 1, 2, 2)``.
        pool_strides (Sequence[int]): Stride (= kernel size) of the
            max-pooling after each stage; 1 means no pooling.
            Defaults to ``(2, 2, 2, 1)``.
        out_indices (Sequence[int]): Stages whose outputs are returned.
            Defaults to ``(3, )``.
        frozen_stages (int): Stages to freeze (parameters fixed, modules in
            eval mode); -1 freezes nothing. Defaults to -1.
        conv_cfg (dict, optional): Config of the convolution layers.
            Defaults to None.
        norm_cfg (dict, optional): Config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activation layers.
            Defaults to ``dict(type='ReLU')``.
        norm_eval (bool): Keep norm layers in eval mode during training.
            Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to Kaiming for convolutions and 1 for norm layers.

    Example:
        >>> import torch
        >>> from mmwsol.registry import MODELS
        >>> model = MODELS.build(dict(type='TinyWSOLNet', out_indices=(2, 3)))
        >>> outs = model(torch.rand(2, 3, 128, 128))
        >>> [tuple(o.shape) for o in outs]
        [(2, 128, 16, 16), (2, 256, 16, 16)]
    """

    def __init__(
        self,
        in_channels: int = 3,
        stage_channels: Sequence[int] = (32, 64, 128, 256),
        stage_blocks: Sequence[int] = (1, 1, 2, 2),
        pool_strides: Sequence[int] = (2, 2, 2, 1),
        out_indices: Sequence[int] = (3,),
        frozen_stages: int = -1,
        conv_cfg: Optional[dict] = None,
        norm_cfg: Optional[dict] = dict(type='BN'),
        act_cfg: dict = dict(type='ReLU'),
        norm_eval: bool = False,
        init_cfg: Optional[Union[dict, list]] = [
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1.0, layer=['_BatchNorm']),
        ],
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        num_stages = len(stage_channels)
        assert num_stages >= 1
        assert len(stage_blocks) == num_stages, (
            'stage_blocks must have one entry per stage'
        )
        assert len(pool_strides) == num_stages, (
            'pool_strides must have one entry per stage'
        )
        assert all(b >= 1 for b in stage_blocks)
        assert all(s >= 1 for s in pool_strides)

        self.out_indices = normalize_out_indices(
            out_indices, num_stages, f'{num_stages} stages'
        )
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.stage_channels = tuple(stage_channels)
        self.pool_strides = tuple(pool_strides)

        stages = []
        channels = in_channels
        for out_channels, num_blocks, stride in zip(
            stage_channels, stage_blocks, pool_strides
        ):
            layers = []
            for _ in range(num_blocks):
                layers.append(
                    ConvModule(
                        channels,
                        out_channels,
                        kernel_size=3,
                        padding=1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                    )
                )
                channels = out_channels
            if stride > 1:
                layers.append(nn.MaxPool2d(kernel_size=stride, stride=stride))
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward function.

        Args:
            x (torch.Tensor): Images of shape (N, C, H, W).

        Returns:
            tuple[torch.Tensor]: The stage outputs chosen by ``out_indices``
            in increasing order; the last one is the deepest.
        """
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        """Freeze the first ``frozen_stages`` stages."""
        for stage in self.stages[: max(self.frozen_stages, 0)]:
            stage.eval()
            for param in stage.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'TinyWSOLNet':
        """Set train mode, keeping frozen stages and (optionally) norm layers
        in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
