"""InceptionV3 backbone for WSOL (SPG-style, as in the WSOL evaluation)."""

from collections import OrderedDict
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import Sequential
from mmengine.utils.dl_utils.parrots_wrapper import _BatchNorm
from mmpretrain.models.backbones import InceptionV3
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.inception_v3 import (
    BasicConv2d,
    InceptionA,
    InceptionB,
    InceptionC,
)

from mmwsol.registry import MODELS

from .utils import drop_removed_module_keys, normalize_out_indices


def _make_stride1_inception_b(in_channels: int) -> InceptionB:
    """Build an :class:`InceptionB` block (``Mixed_6a``) that keeps the
    resolution: both 3x3 convolutions and the max-pooling branch use stride 1
    and padding 1. Parameter names and shapes are those of the usual block,
    so pretrained weights still fit."""
    block = InceptionB(in_channels)
    block.branch3x3 = BasicConv2d(
        in_channels, 384, kernel_size=3, stride=1, padding=1
    )
    block.branch3x3dbl_3 = BasicConv2d(
        96, 96, kernel_size=3, stride=1, padding=1
    )
    block.branch_pool = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
    return block


@MODELS.register_module()
class WSOLInceptionV3(InceptionV3):
    """InceptionV3 backbone for weakly supervised object localization.

    The CAM variant of InceptionV3 used by the WSOL evaluation protocol
    (Choe et al., CVPR 2020), taken from SPG (Zhang et al., ECCV 2018):

    - ``Conv2d_1a_3x3`` uses padding 1;
    - the two stem max-poolings use ``kernel_size=3, stride=2, padding=1,
      ceil_mode=True``;
    - an extra max-pooling (``kernel_size=3, stride=2, ceil_mode=True``) runs
      after ``Mixed_5d``; ``large_feature_map=True`` removes it;
    - ``Mixed_6a`` keeps the resolution (stride 1, padding 1);
    - ``Mixed_7*``, ``AuxLogits`` and ``fc`` are not built;
    - a head of two convolutions, 3x3 768 -> 1024 + ReLU and 3x3
      1024 -> 1024 + ReLU (module ``spg``, with dropout before each
      convolution and after the last ReLU as in the reference), gives the
      1024-channel output map.

    The reference ends with a 1x1 conv 1024 -> C followed by global average
    pooling. Both are linear, so they commute: a GAP followed by a linear
    layer (the CAM head) computes the same logits, and the CAM
    ``sum_c w[k, c] F_c`` is the 1x1 conv's class-k channel. This backbone
    therefore stops at the 1024-channel map.

    Map size: at 224x224 input the stem gives 28x28 (224 -> 112 -> 110 ->
    56 -> 54 -> 28), the extra pooling 14x14, and ``Mixed_6*`` keep it, so
    the output is **14x14** (stride 16), or **28x28** with
    ``large_feature_map=True`` (stride 8). The reference's default is
    ``large_feature_map=False``, i.e. 14x14.

    ``out_indices`` picks among these outputs (negative indices count from
    the end, ``-1`` is the head):

    =====  ==================================================  ========
    index  output                                              channels
    =====  ==================================================  ========
    0      ``Mixed_5d`` after the extra pooling (input of 6a)  288
    1      ``Mixed_6a``                                        768
    2      ``Mixed_6b``                                        768
    3      ``Mixed_6c``                                        768
    4      ``Mixed_6d``                                        768
    5      ``Mixed_6e``                                        768
    6      ``spg`` head                                        1024
    =====  ==================================================  ========

    All have the same spatial size (14x14 or 28x28 at 224 input). With
    ``with_head=False`` (for heads that bring their own convolutions) the
    ``spg`` head is not built and index 5 (``Mixed_6e``) is the last.

    Loading: every kept module has the name and shape of mmpretrain's
    :class:`InceptionV3` (and torchvision's), so its checkpoints load with
    only the ``spg`` keys missing; the entries of the modules that are not
    built (``Mixed_7a/b/c``, ``AuxLogits``, ``fc``) are dropped silently in
    :meth:`_load_from_state_dict`.

    The head convolutions are named ``spg.conv1`` and ``spg.conv2`` so that
    a config can give them the reference's 10x learning rate, e.g.
    ``paramwise_cfg=dict(custom_keys={'backbone.spg': dict(lr_mult=10)})``.

    Args:
        large_feature_map (bool): Remove the extra max-pooling after
            ``Mixed_5d`` (28x28 instead of 14x14 at 224 input).
            Defaults to False.
        with_head (bool): Whether to build the ``spg`` head.
            Defaults to True.
        head_channels (int): Channels of the two head convolutions.
            Defaults to 1024.
        dropout (float): Dropout probability before each head convolution
            and on the output (the reference's dropout before its 1x1
            classifier conv). Defaults to 0.5.
        out_indices (Sequence[int]): Outputs to return, see above.
            Defaults to ``(-1, )`` (the last one: the head).
        frozen_stages (int): Freeze the outputs ``0 .. frozen_stages - 1``
            (``1`` freezes the stem and ``Mixed_5*``, ``6`` all pretrained
            blocks). ``-1`` freezes nothing. Defaults to -1.
        norm_eval (bool): Keep BN layers in eval mode during training.
            Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config;
            mmpretrain's InceptionV3 initialization by default. The ``spg``
            head has its own Xavier-uniform initialization (bias 0, as in the
            reference), applied also when the rest is loaded with
            ``dict(type='Pretrained', ...)``.

    Example:
        >>> import torch
        >>> from mmwsol.registry import MODELS
        >>> model = MODELS.build(
        ...     dict(type='WSOLInceptionV3', out_indices=(5, 6))).eval()
        >>> outs = model(torch.rand(1, 3, 224, 224))
        >>> [tuple(o.shape) for o in outs]
        [(1, 768, 14, 14), (1, 1024, 14, 14)]
    """

    #: Blocks of :class:`InceptionV3` that this backbone never builds and
    #: whose checkpoint entries are dropped on loading.
    removed_modules = ('Mixed_7a', 'Mixed_7b', 'Mixed_7c', 'AuxLogits', 'fc')

    #: Names of the outputs selected by ``out_indices``.
    output_names = (
        'Mixed_5d',
        'Mixed_6a',
        'Mixed_6b',
        'Mixed_6c',
        'Mixed_6d',
        'Mixed_6e',
        'spg',
    )

    def __init__(
        self,
        large_feature_map: bool = False,
        with_head: bool = True,
        head_channels: int = 1024,
        dropout: float = 0.5,
        out_indices: Sequence[int] = (-1,),
        frozen_stages: int = -1,
        norm_eval: bool = False,
        init_cfg: Optional[Union[dict, list]] = [
            dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=0.1),
            dict(type='Constant', layer='BatchNorm2d', val=1),
        ],
    ) -> None:
        # ``InceptionV3.__init__`` would build Mixed_7* and fc, which this
        # backbone drops: initialise the base backbone directly and build the
        # kept modules here, under the parent's names.
        BaseBackbone.__init__(self, init_cfg=init_cfg)
        self.aux_logits = False
        self.AuxLogits = None
        self.large_feature_map = large_feature_map
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.Conv2d_1a_3x3 = BasicConv2d(
            3, 32, kernel_size=3, stride=2, padding=1
        )
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(
            kernel_size=3, stride=2, padding=1, ceil_mode=True
        )
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(
            kernel_size=3, stride=2, padding=1, ceil_mode=True
        )
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        if large_feature_map:
            self.maxpool3 = nn.Identity()
        else:
            self.maxpool3 = nn.MaxPool2d(
                kernel_size=3, stride=2, ceil_mode=True
            )
        self.Mixed_6a = _make_stride1_inception_b(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)

        self.with_head = with_head
        self.head_channels = head_channels
        if with_head:
            self._build_head(head_channels, dropout)

        num_outs = len(self.output_names) - int(not with_head)
        names = ', '.join(self.output_names[:num_outs])
        self.out_indices = normalize_out_indices(out_indices, num_outs, names)

    def _build_head(self, channels: int, dropout: float) -> None:
        """Build the two 3x3 convolutions of the SPG head as ``self.spg``."""
        self.spg = Sequential(
            OrderedDict(
                [
                    ('drop1', nn.Dropout(dropout)),
                    (
                        'conv1',
                        nn.Conv2d(768, channels, kernel_size=3, padding=1),
                    ),
                    ('relu1', nn.ReLU(inplace=True)),
                    ('drop2', nn.Dropout(dropout)),
                    (
                        'conv2',
                        nn.Conv2d(
                            channels, channels, kernel_size=3, padding=1
                        ),
                    ),
                    ('relu2', nn.ReLU(inplace=False)),
                    ('drop3', nn.Dropout(dropout)),
                ]
            ),
            init_cfg=dict(
                type='Xavier', layer='Conv2d', distribution='uniform', bias=0
            ),
        )

    def _stages(self) -> list:
        """The modules that produce each output, in order."""
        return [
            [
                self.Conv2d_1a_3x3,
                self.Conv2d_2a_3x3,
                self.Conv2d_2b_3x3,
                self.maxpool1,
                self.Conv2d_3b_1x1,
                self.Conv2d_4a_3x3,
                self.maxpool2,
                self.Mixed_5b,
                self.Mixed_5c,
                self.Mixed_5d,
                self.maxpool3,
            ],
            [self.Mixed_6a],
            [self.Mixed_6b],
            [self.Mixed_6c],
            [self.Mixed_6d],
            [self.Mixed_6e],
        ] + ([[self.spg]] if self.with_head else [])

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward function.

        Args:
            x (torch.Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[torch.Tensor]: The maps chosen by ``out_indices`` in
            increasing index order; the last one is the deepest.
        """
        outs = []
        for i, stage in enumerate(self._stages()):
            for layer in stage:
                x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        """Freeze the modules of the first ``frozen_stages`` outputs."""
        for stage in self._stages()[: max(self.frozen_stages, 0)]:
            for m in stage:
                m.eval()
                for param in m.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'WSOLInceptionV3':
        """Set train mode, keeping frozen stages and (optionally) BN layers in
        eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def _load_from_state_dict(
        self,
        state_dict,
        prefix,
        local_metadata,
        strict,
        missing_keys,
        unexpected_keys,
        error_msgs,
    ) -> None:
        """Drop the entries of ``Mixed_7*``, ``AuxLogits`` and ``fc``, then
        load as usual."""
        drop_removed_module_keys(state_dict, prefix, self.removed_modules)
        super()._load_from_state_dict(
            state_dict,
            prefix,
            local_metadata,
            strict,
            missing_keys,
            unexpected_keys,
            error_msgs,
        )
