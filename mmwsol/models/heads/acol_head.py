"""Adversarial Complementary Learning head (Zhang et al., CVPR 2018)."""

from collections import OrderedDict
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmwsol.models.localizers.functional import normalize_maps
from mmwsol.registry import MODELS

from .cam_head import spatial_input_error
from .labels import single_gt_labels


def acol_erase(
    features: torch.Tensor, attention: torch.Tensor, threshold: float
) -> torch.Tensor:
    """Zero the features where the normalised attention is >= threshold.

    wsolevaluation's ``_erase_attention``: ``mask = 1``, set to 0 where
    ``attention >= threshold``, times every channel.

    Args:
        features (torch.Tensor): ``(N, C, H, W)``.
        attention (torch.Tensor): ``(N, 1, H, W)`` normalised to [0, 1].
        threshold (float): Erasing threshold.

    Returns:
        torch.Tensor: The erased features.
    """
    keep = (attention < threshold).to(features.dtype)
    return features * keep


def label_attention(maps: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The per-image min-max normalised, detached map of each label.

    wsolevaluation's ``get_attention`` (a constant map, where the reference
    divides by zero, becomes 0 here: nothing is erased in both cases).

    Args:
        maps (torch.Tensor): Class maps ``(N, K, H, W)``.
        labels (torch.Tensor): ``(N, )`` classes.

    Returns:
        torch.Tensor: ``(N, 1, H, W)`` in [0, 1].
    """
    picked = maps.detach()[torch.arange(maps.shape[0]), labels]
    return normalize_maps(picked).to(maps.dtype).unsqueeze(1)


def _conv_branch(in_channels: int, mid_channels: int, num_classes: int):
    """conv 3x3 C -> mid, ReLU, conv 3x3 mid -> mid, ReLU, conv 1x1 -> K."""
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(in_channels, mid_channels, 3, padding=1),
            relu1=nn.ReLU(inplace=False),
            conv2=nn.Conv2d(mid_channels, mid_channels, 3, padding=1),
            relu2=nn.ReLU(inplace=False),
            classifier=nn.Conv2d(mid_channels, num_classes, 1),
        )
    )


@MODELS.register_module()
class ACoLHead(ClsHead):
    """Two complementary convolutional classifiers on the same features.

    Branch A and branch B are each ``conv 3x3 C -> 1024, ReLU, conv 3x3
    1024 -> 1024, ReLU, conv 1x1 1024 -> K`` (the ACoL classifiers of
    wsolevaluation's VGG16 / ResNet50 / InceptionV3), with global average
    pooling of the class maps as logits. Branch B sees the features erased
    where branch A's normalised map of the label is ``>= erase_threshold``
    (the ground-truth label in training, the target at test time). The loss
    is ``CE(A) + CE(B)`` (logged ``loss_a``, ``loss_b``). The logits of the
    model are branch A's.

    Maps: :class:`ACoLCAM` gives the reference's test map, the element-wise
    maximum of both branches' min-max normalised class maps.
    :meth:`cam_features` / :meth:`class_weights` / :meth:`class_bias`
    expose branch A as a CAM-style head, so :class:`CAM`, :class:`CCAM`,
    :class:`SCG` and the gradient localizers apply unchanged.

    Args:
        num_classes (int): Number of classes ``K``.
        in_channels (int): Channels of the last backbone map.
        mid_channels (int): Channels of the 3x3 convolutions.
            Defaults to 1024.
        erase_threshold (float): Defaults to 0.7 (wsolevaluation's
            ``--acol_threshold``).
        smooth_features (bool): A 3x3 average pooling (stride 1, padding 1)
            of the features before both branches, which wsolevaluation's
            VGG16 ACoL has (its ResNet50 / InceptionV3 ones do not).
            Defaults to False.
        loss (dict): Classification loss of each branch.
        topk (int | tuple[int]): Top-k accuracy with ``cal_acc``.
        cal_acc (bool): Log training accuracy of branch A.
        init_cfg (dict, optional): Defaults to Xavier (uniform) on the convs.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        mid_channels: int = 1024,
        erase_threshold: float = 0.7,
        smooth_features: bool = False,
        loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk: Union[int, Tuple[int]] = (1,),
        cal_acc: bool = False,
        init_cfg: Optional[dict] = dict(
            type='Xavier', layer='Conv2d', distribution='uniform', bias=0.0
        ),
    ):
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg
        )
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be positive')
        if not 0 <= erase_threshold <= 1:
            raise ValueError(
                f'ACoLHead erase_threshold must be in [0, 1], '
                f'got {erase_threshold}'
            )
        self.num_classes = num_classes
        self.mid_channels = mid_channels
        self.erase_threshold = erase_threshold
        self.smooth_features = smooth_features
        self.branch_a = _conv_branch(in_channels, mid_channels, num_classes)
        self.branch_b = _conv_branch(in_channels, mid_channels, num_classes)

    def features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The (smoothed) last feature map both branches read."""
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 4:
            raise ValueError(spatial_input_error(x.shape, 'ACoLHead'))
        if self.smooth_features:
            x = F.avg_pool2d(x, 3, stride=1, padding=1)
        return x

    def cam_features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Branch A's features before its 1x1 classifier."""
        return self.branch_a[:-1](self.features(feats))

    def class_weights(self) -> torch.Tensor:
        """Branch A's 1x1 classifier weights ``(K, mid_channels)``."""
        return self.branch_a.classifier.weight.flatten(1)

    def class_bias(self) -> torch.Tensor:
        """Branch A's 1x1 classifier bias ``(K, )``."""
        return self.branch_a.classifier.bias

    def branch_maps(
        self, feats: Tuple[torch.Tensor], labels: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Class maps of branch A, and of branch B on the features erased
        by A's map of ``labels``.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs.
            labels (torch.Tensor): ``(N, )`` classes that drive the erasing.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(N, K, H, W)`` maps of A
            and B.
        """
        x = self.features(feats)
        maps_a = self.branch_a(x)
        attention = label_attention(maps_a, labels)
        maps_b = self.branch_b(acol_erase(x, attention, self.erase_threshold))
        return maps_a, maps_b

    def fused_maps(
        self, feats: Tuple[torch.Tensor], targets: torch.Tensor
    ) -> torch.Tensor:
        """The reference's test map for each target: ``max(norm(A_t),
        norm(B_t))``, with B computed on the features erased by ``A_t``.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs.
            targets (torch.Tensor): ``(N, T)`` classes.

        Returns:
            torch.Tensor: ``(N, T, H, W)`` maps in [0, 1].
        """
        rows = torch.arange(targets.shape[0], device=targets.device)
        out = []
        for t in range(targets.shape[1]):
            labels = targets[:, t]
            maps_a, maps_b = self.branch_maps(feats, labels)
            a = normalize_maps(maps_a[rows, labels])
            b = normalize_maps(maps_b[rows, labels])
            out.append(torch.maximum(a, b))
        return torch.stack(out, dim=1)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return branch A's logits ``(N, K)``."""
        return self.branch_a(self.features(feats)).mean(dim=(2, 3))

    def loss(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: List[DataSample],
        **kwargs,
    ) -> dict:
        """``CE(A) + CE(B)``, B erased by A's map of the ground truth.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs.
            data_samples (List[DataSample]): Annotations.

        Returns:
            dict[str, torch.Tensor]: ``loss_a`` and ``loss_b`` (MMEngine
            logs their sum as ``loss``), plus branch A's accuracy with
            ``cal_acc``.
        """
        labels = single_gt_labels(data_samples, 'ACoLHead')
        maps_a, maps_b = self.branch_maps(feats, labels.to(feats[-1].device))
        losses = self._get_loss(maps_a.mean(dim=(2, 3)), data_samples)
        losses['loss_a'] = losses.pop('loss')
        losses_b = self._get_loss(maps_b.mean(dim=(2, 3)), data_samples)
        losses['loss_b'] = losses_b['loss']
        return losses

    def extra_repr(self) -> str:
        return (
            f'erase_threshold={self.erase_threshold}, '
            f'smooth_features={self.smooth_features}'
        )
