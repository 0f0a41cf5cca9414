"""Pooling + linear classifier head whose weights produce CAMs."""

from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead

from mmwsol.registry import MODELS


def spatial_input_error(shape: Tuple[int, ...], head: str = 'CAMHead') -> str:
    """Why a CAM head (named ``head`` in the message) cannot use features
    of ``shape`` and what to set."""
    got = f'{head} needs a (N, C, H, W) feature map, got {tuple(shape)}'
    if len(shape) == 3:
        return (
            f'{got}: a token sequence (N, L, C). Reshape it to the patch '
            'grid with mmwsol.models.utils.tokens_to_map (WSOLClassifier '
            "does so) or set the backbone's out_type='featmap'."
        )
    return (
        f'{got}: the features were pooled before the head, by the backbone '
        '(ConvNeXt-like: set backbone.gap_before_final_norm=False; '
        "ViT / DeiT-like: set backbone.out_type='featmap'; "
        'WSOLClassifier sets these itself from the backbone config) or by '
        'a pooling neck (remove it: the head pools).'
    )


@MODELS.register_module()
class CAMHead(ClsHead):
    """Classification head of CAM-style WSOL methods.

    The head pools the last feature map with a registered pooling module
    (``GAP`` for vanilla CAM, a thresholded pooling for Rethinking-CAM, ...)
    and classifies the pooled vector with a linear layer. The class activation
    map of class ``k`` is ``sum_c fc.weight[k, c] * F_c`` on the *unpooled*
    features ``F`` returned by :meth:`cam_features`.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the last feature map.
        pool (dict | nn.Module): Pooling config. Defaults to
            ``dict(type='GAP')``.
        dropout (float): Dropout probability before the classifier (0 turns
            it off). Defaults to 0.
        loss (dict): Classification loss config. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): Top-k accuracy logged during training when
            ``cal_acc`` is True. Defaults to ``(1, )``.
        cal_acc (bool): Whether to log training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to a normal
            initialisation of the linear layer with std 0.01.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        pool: Union[dict, nn.Module] = dict(type='GAP'),
        dropout: float = 0.0,
        loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk: Union[int, Tuple[int]] = (1,),
        cal_acc: bool = False,
        init_cfg: Optional[dict] = dict(
            type='Normal', layer='Linear', std=0.01
        ),
    ):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg
        )
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.pool = pool if isinstance(pool, nn.Module) else MODELS.build(pool)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)

    def cam_features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the feature map the class activation maps are built on.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs; the last
                one, of shape ``(N, C, H, W)``, is used.

        Returns:
            torch.Tensor: The ``(N, C, H, W)`` feature map.
        """
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 4:
            raise ValueError(spatial_input_error(x.shape))
        return x

    def class_weights(self) -> torch.Tensor:
        """Return the ``(num_classes, C)`` weights of the classifier."""
        return self.fc.weight

    def class_bias(self) -> torch.Tensor:
        """Return the ``(num_classes, )`` bias of the classifier."""
        return self.fc.bias

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Pool the last feature map to ``(N, C)``."""
        return self.pool(self.cam_features(feats))

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the class logits of shape ``(N, num_classes)``."""
        return self.fc(self.dropout(self.pre_logits(feats)))
