"""TS-CAM's classifier head: a 3x3 convolution to class maps, then GAP."""

from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead

from mmwsol.registry import MODELS

from .cam_head import spatial_input_error


@MODELS.register_module()
class TSCAMHead(ClsHead):
    """Classification head of TS-CAM (Gao et al., ICCV 2021).

    The authors' code (vasgaowei/TS-CAM, ``lib/models/deit.py``, class
    ``TSCAM``): the patch tokens after the backbone's final norm, reshaped
    to the patch grid (``forward_features`` returns ``x[:, 1:]`` after
    ``self.norm``), go through ``nn.Conv2d(embed_dim, num_classes,
    kernel_size=3, stride=1, padding=1)`` and ``nn.AdaptiveAvgPool2d(1)``:
    the logits. The class token is not used for them, and the convolution's
    output is not ReLU'd. Its output channel ``c`` is the *semantic map* of
    class ``c``, which :class:`TSCAM` multiplies by the class token's
    attention.

    With :class:`WSOLClassifier` the backbone returns that map (it sets
    ViT / DeiT's ``out_type='featmap'``; mmpretrain applies the final norm
    ``ln1`` to the last layer's tokens and drops the class / distillation
    tokens). :meth:`cam_features` returns the ``K`` class maps and
    :meth:`class_weights` the identity, so the plain :class:`CAM`
    localizer gives the semantic maps alone (TS-CAM without attention).

    Args:
        num_classes (int): Number of classes ``K``.
        in_channels (int): Channels of the token map (the embedding
            dimension: 192 DeiT-Tiny, 384 DeiT-Small).
        loss (dict): Classification loss config. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): Top-k accuracy logged during training when
            ``cal_acc`` is True. Defaults to ``(1, )``.
        cal_acc (bool): Whether to log training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None:
            PyTorch's default ``Conv2d`` initialisation, as in the authors'
            code (their ``_init_weights`` touches ``Linear`` and
            ``LayerNorm`` modules only).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk: Union[int, Tuple[int]] = (1,),
        cal_acc: bool = False,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg
        )
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.conv = nn.Conv2d(in_channels, num_classes, 3, padding=1)

    def cam_features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the ``(N, K, h, w)`` class (semantic) maps: the 3x3
        convolution of the last ``(N, C, h, w)`` feature map.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs.

        Returns:
            torch.Tensor: ``(N, num_classes, h, w)``, bias included.
        """
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 4:
            raise ValueError(
                spatial_input_error(x.shape).replace('CAMHead', 'TSCAMHead')
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f'TSCAMHead(in_channels={self.in_channels}) got a map with '
                f'{x.shape[1]} channels: set in_channels to the backbone '
                'embedding dimension'
            )
        return self.conv(x)

    def class_weights(self) -> torch.Tensor:
        """The identity ``(K, K)``: the class maps are the features."""
        return torch.eye(
            self.num_classes,
            dtype=self.conv.weight.dtype,
            device=self.conv.weight.device,
        )

    def class_bias(self) -> torch.Tensor:
        """Zeros ``(K, )``: the bias is already in :meth:`cam_features`."""
        return self.conv.weight.new_zeros(self.num_classes)

    @staticmethod
    def logits_from_class_maps(maps: torch.Tensor) -> torch.Tensor:
        """Return the ``(N, K)`` logits of ``(N, K, h, w)`` class maps:
        their spatial means (the authors' ``AdaptiveAvgPool2d(1)``)."""
        return maps.mean(dim=(2, 3))

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the ``(N, K)`` spatial means of the class maps."""
        return self.logits_from_class_maps(self.cam_features(feats))

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the class logits ``(N, K)``."""
        return self.pre_logits(feats)
