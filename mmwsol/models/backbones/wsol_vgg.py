"""VGG backbone for CAM-style WSOL (pool5 removed, extra ``conv6``)."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.models.backbones import VGG

from mmwsol.registry import MODELS

from .utils import drop_removed_module_keys, normalize_out_indices


@MODELS.register_module()
class WSOLVGG(VGG):
    """VGG backbone for weakly supervised object localization.

    The CAM variant of VGG used by the WSOL evaluation protocol (Choe et al.,
    "Evaluating Weakly Supervised Object Localization Methods Right",
    CVPR 2020): the last max-pooling (pool5) is removed and a new
    ``conv6`` (3x3, 512 -> 1024, padding 1) followed by ReLU is appended.
    A 224x224 input gives a 14x14 map. With ``large_feature_map=True`` pool4
    is removed as well and the map is 28x28.

    Removed poolings are replaced by :class:`torch.nn.Identity` instead of
    being deleted, so the indices of ``features`` (and hence the keys
    ``features.N.conv.weight`` of mmpretrain's VGG checkpoints) are unchanged:
    a checkpoint of mmpretrain's :class:`VGG` of the same depth loads with
    only the ``conv6`` keys missing. The fully connected ``classifier.*``
    keys found in mmpretrain's ImageNet VGG checkpoints are dropped silently
    on loading (this backbone has no classifier).

    ``out_indices`` counts the VGG stages (``0 .. num_stages - 1``, each
    stage output taken after its pooling, if that pooling is kept) plus one
    extra index ``num_stages`` (5 for the usual 5 stages) for the ``conv6``
    output. Negative indices count from the end (``-1`` is ``conv6``, or
    block5 with ``with_conv6=False``). For VGG16 at 224x224 input and
    ``large_feature_map=False``:

    =====  ===========================  ==========  ==========
    index  output                       channels    size
    =====  ===========================  ==========  ==========
    0      block1 (after pool1)         64          112x112
    1      block2 (after pool2)         128         56x56
    2      block3 (after pool3)         256         28x28
    3      block4 (after pool4)         512         14x14 (28x28 large)
    4      block5 (conv5_3, no pool5)   512         14x14 (28x28 large)
    5      conv6 + ReLU                 1024        14x14 (28x28 large)
    =====  ===========================  ==========  ==========

    The default ``out_indices=(-1, )`` returns the map the CAM head uses;
    multi-layer methods (e.g. SPA, whose self-correlation uses blocks 4
    and 5) ask for ``(3, 4, 5)``. The last element of the returned tuple is
    always the deepest requested map. Methods that bring their own
    convolutional head on block5 (e.g. SPA's RAM head) set
    ``with_conv6=False``.

    Args:
        depth (int): Depth of VGG, from {11, 13, 16, 19}. Defaults to 16.
        large_feature_map (bool): Also remove pool4 (stride 8 instead of
            16). Defaults to False.
        with_conv6 (bool): Whether to build ``conv6``. Defaults to True.
        conv6_channels (int): Output channels of ``conv6``. Defaults to 1024.
        num_stages (int): Number of VGG stages. Defaults to 5.
        dilations (Sequence[int]): Dilation of each stage.
            Defaults to ``(1, 1, 1, 1, 1)``.
        out_indices (Sequence[int]): Outputs to return, see above.
            Defaults to ``(-1, )`` (the last one: ``conv6``).
        frozen_stages (int): Stages to freeze (parameters fixed, modules in
            eval mode). ``-1`` freezes nothing; ``num_stages + 1`` freezes
            ``conv6`` too. Defaults to -1.
        conv_cfg (dict, optional): Config of the convolution layers.
            Defaults to None.
        norm_cfg (dict, optional): Config of the norm layers (None: plain
            VGG, as in the reference). ``conv6`` uses the same config (and
            has no bias when it has a norm layer). Defaults to None.
        act_cfg (dict): Config of the activation after every convolution
            (the VGG ones and ``conv6``), e.g. ``dict(type='LeakyReLU',
            negative_slope=0.2)`` for the authors' NL-CCAM network. It has
            no parameters: checkpoint keys do not depend on it.
            Defaults to ``dict(type='ReLU')``.
        norm_eval (bool): Keep norm layers in eval mode during training.
            Defaults to False.
        ceil_mode (bool): ``ceil_mode`` of the kept max-poolings.
            Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config. The
            default is mmpretrain's VGG initialization; ``conv6`` is a
            :class:`mmcv.cnn.ConvModule`, whose own ``init_weights`` applies
            Kaiming (fan-out, normal) initialization as in the reference, also
            when the rest of the backbone is loaded with
            ``dict(type='Pretrained', ...)``.

    Example:
        >>> import torch
        >>> from mmwsol.registry import MODELS
        >>> model = MODELS.build(dict(type='WSOLVGG', out_indices=(3, 4, 5)))
        >>> outs = model(torch.rand(1, 3, 224, 224))
        >>> [tuple(o.shape) for o in outs]
        [(1, 512, 14, 14), (1, 512, 14, 14), (1, 1024, 14, 14)]
    """

    #: Names of the parent's children that this backbone never builds and
    #: whose checkpoint entries are dropped on loading.
    removed_modules = ('classifier',)

    def __init__(
        self,
        depth: int = 16,
        large_feature_map: bool = False,
        with_conv6: bool = True,
        conv6_channels: int = 1024,
        num_stages: int = 5,
        dilations: Sequence[int] = (1, 1, 1, 1, 1),
        out_indices: Sequence[int] = (-1,),
        frozen_stages: int = -1,
        conv_cfg: Optional[dict] = None,
        norm_cfg: Optional[dict] = None,
        act_cfg: dict = dict(type='ReLU'),
        norm_eval: bool = False,
        ceil_mode: bool = False,
        init_cfg: Optional[Union[dict, list]] = [
            dict(type='Kaiming', layer=['Conv2d']),
            dict(type='Constant', val=1.0, layer=['_BatchNorm']),
            dict(type='Normal', std=0.01, layer=['Linear']),
        ],
    ) -> None:
        # The parent validates ``out_indices`` against its own meaning
        # (index ``num_stages`` = classifier); ours is set below.
        super().__init__(
            depth=depth,
            num_classes=-1,
            num_stages=num_stages,
            dilations=dilations,
            out_indices=(num_stages - 1,),
            frozen_stages=frozen_stages,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            norm_eval=norm_eval,
            ceil_mode=ceil_mode,
            with_last_pool=True,
            init_cfg=init_cfg,
        )
        self.large_feature_map = large_feature_map

        # Replace pool5 (and pool4) by identities: indices stay the same.
        removed_pools = [num_stages - 1]
        if large_feature_map and num_stages >= 2:
            removed_pools.append(num_stages - 2)
        features = getattr(self, self.module_name)
        for stage in removed_pools:
            pool_idx = self.range_sub_modules[stage][1] - 1
            assert isinstance(features[pool_idx], nn.MaxPool2d)
            features[pool_idx] = nn.Identity()

        self.with_conv6 = with_conv6
        self.conv6_channels = conv6_channels
        if with_conv6:
            self.conv6 = ConvModule(
                self.in_channels,
                conv6_channels,
                kernel_size=3,
                padding=1,
                bias='auto',
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg,
            )

        num_outs = num_stages + int(with_conv6)
        self.out_indices = normalize_out_indices(
            out_indices,
            num_outs,
            f'{num_stages} stages'
            + (f', conv6 at index {num_stages}' if with_conv6 else ''),
        )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward function.

        Args:
            x (torch.Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[torch.Tensor]: The maps chosen by ``out_indices`` in
            increasing index order; the last one is the deepest.
        """
        outs = []
        vgg_layers = getattr(self, self.module_name)
        for i in range(len(self.stage_blocks)):
            for j in range(*self.range_sub_modules[i]):
                x = vgg_layers[j](x)
            if i in self.out_indices:
                outs.append(x)
        if self.with_conv6:
            x = self.conv6(x)
            if len(self.stage_blocks) in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        """Freeze the first ``frozen_stages`` stages (``conv6`` is the last
        one)."""
        num_stages = len(self.stage_blocks)
        vgg_layers = getattr(self, self.module_name)
        for i in range(min(self.frozen_stages, num_stages)):
            for j in range(*self.range_sub_modules[i]):
                m = vgg_layers[j]
                m.eval()
                for param in m.parameters():
                    param.requires_grad = False
        if self.with_conv6 and self.frozen_stages > num_stages:
            self.conv6.eval()
            for param in self.conv6.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'WSOLVGG':
        """Set train mode as the parent does (frozen stages, ``norm_eval``)
        and return ``self``, so that ``model.eval()`` chains like any
        :class:`torch.nn.Module` (mmpretrain's VGG returns None)."""
        super().train(mode)
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
        """Drop the ``classifier.*`` entries of ImageNet VGG checkpoints,
        then load as usual."""
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
