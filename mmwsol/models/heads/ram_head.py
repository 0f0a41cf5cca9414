"""Convolutional classifier head of SPA with the restricted activation
module (RAM)."""

from collections import OrderedDict
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

from .cam_head import spatial_input_error
from .labels import single_gt_labels


def conv_head_class_maps(
    features: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor]
) -> torch.Tensor:
    """Class maps of a 1x1 convolution classifier.

    Args:
        features (torch.Tensor): ``(N, C, H, W)`` features.
        weight (torch.Tensor): ``(K, C)`` (or ``(K, C, 1, 1)``) weights.
        bias (torch.Tensor, optional): ``(K, )`` bias.

    Returns:
        torch.Tensor: ``(N, K, H, W)`` maps ``sum_c w[k, c] F_c + b_k``.
    """
    weight = weight.reshape(weight.shape[0], -1)
    maps = torch.einsum('kc,nchw->nkhw', weight, features)
    if bias is not None:
        maps = maps + bias.view(1, -1, 1, 1)
    return maps


@MODELS.register_module()
class RAMHead(ClsHead):
    """SPA's classifier head with the restricted activation module.

    Architecture (the authors' code; ACoL / SPG style, no fully connected
    layer)::

        conv 3x3 C -> 1024, ReLU, conv 3x3 1024 -> 1024, ReLU   (features F)
        conv 1x1 1024 -> K                                      (class maps)
        logits = spatial mean of the class maps

    The ``K`` output channels are the class maps. They are usable by the
    CAM-style localizers (:class:`CAM`, :class:`CCAM`, and through them
    :class:`SCG`): :meth:`cam_features` returns the 1024-channel ``F`` and
    :meth:`class_weights` the 1x1 weights reshaped to ``(K, 1024)``, so the
    CAM of class ``k`` is the class-``k`` channel minus its bias ``b_k``.
    The bias is a constant shift of the map, which the min-max
    normalisation alone removes: the normalised CAMs equal the normalised
    class channels. The authors' evaluation (and SCG's coarse map) normalises
    ``ReLU(class channel)`` instead, which the bias does move (every part
    below ``-b_k`` becomes the minimum): ``CAM(with_bias=True, relu=True)``
    (:meth:`class_bias`) gives it.

    **RAM.** With ``ra_loss`` (e.g. ``dict(type='RestrictedActivationLoss',
    tau=0.1, sigma=0.2, loss_weight=0.5)``) the training loss is
    ``CE + alpha * L_RA`` (logged as ``loss_cls`` and ``loss_ra``, their sum
    as ``loss``), computed on the class maps including the bias, as in the
    reference. It is on from the 0-based epoch ``ram_start`` (the
    reference's ``epoch >= ram_start``); the epoch comes from
    :class:`RAMStartHook`, which calls :meth:`set_epoch` before every
    training epoch (so the state is derived from the runner's epoch and is
    right after a resume). Outside a runner (no epoch was ever set) the loss
    is on only if ``ram_start == 0``; with ``ram_start > 0`` and no epoch a
    warning is logged once and the loss stays off. Before ``ram_start``
    ``loss_ra`` is logged as 0. Without ``ra_loss`` the head is the paper's
    baseline (plain CE).

    Args:
        num_classes (int): Number of classes ``K``.
        in_channels (int): Channels ``C`` of the last backbone map (512 for
            VGG16 block5, 768 for InceptionV3 ``Mixed_6e``).
        mid_channels (int): Channels of the two 3x3 convolutions.
            Defaults to 1024.
        ra_loss (dict | nn.Module, optional): The restricted activation
            loss config; None disables RAM. Defaults to None.
        ram_start (int): First (0-based) epoch with the RA loss.
            Defaults to 0.
        loss (dict): Classification loss config. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): Top-k accuracy logged during training when
            ``cal_acc`` is True. Defaults to ``(1, )``.
        cal_acc (bool): Whether to log training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to
            Xavier-uniform convolutions with zero bias (the reference).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        mid_channels: int = 1024,
        ra_loss: Optional[Union[dict, nn.Module]] = None,
        ram_start: int = 0,
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
        if ram_start < 0:
            raise ValueError(f'ram_start={ram_start} must be >= 0')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.mid_channels = mid_channels
        self.convs = nn.Sequential(
            OrderedDict(
                [
                    (
                        'conv1',
                        nn.Conv2d(in_channels, mid_channels, 3, padding=1),
                    ),
                    ('relu1', nn.ReLU(inplace=True)),
                    (
                        'conv2',
                        nn.Conv2d(mid_channels, mid_channels, 3, padding=1),
                    ),
                    ('relu2', nn.ReLU(inplace=True)),
                ]
            )
        )
        self.classifier = nn.Conv2d(mid_channels, num_classes, 1)
        if ra_loss is not None and not isinstance(ra_loss, nn.Module):
            ra_loss = MODELS.build(ra_loss)
        self.ra_loss = ra_loss
        self.ram_start = int(ram_start)
        self.epoch: Optional[int] = None
        self._warned_no_epoch = False

    # ------------------------------------------------------------------
    # RAM schedule
    # ------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Tell the head the current (0-based) training epoch."""
        self.epoch = int(epoch)

    @property
    def ra_active(self) -> bool:
        """Whether the RA loss is added at the current epoch."""
        if self.ra_loss is None:
            return False
        if self.epoch is None:
            return self.ram_start == 0
        return self.epoch >= self.ram_start

    # ------------------------------------------------------------------
    # maps and logits
    # ------------------------------------------------------------------
    def cam_features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the 1024-channel features ``F`` the class maps are a 1x1
        convolution of.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs; the last
                one, ``(N, C, H, W)``, is used.

        Returns:
            torch.Tensor: ``(N, mid_channels, H, W)``.
        """
        x = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if x.dim() != 4:
            raise ValueError(spatial_input_error(x.shape, 'RAMHead'))
        return self.convs(x)

    def class_weights(self) -> torch.Tensor:
        """Return the ``(num_classes, mid_channels)`` 1x1 conv weights."""
        return self.classifier.weight.view(self.num_classes, self.mid_channels)

    def class_bias(self) -> torch.Tensor:
        """Return the ``(num_classes, )`` bias of the 1x1 conv: the class map
        of :meth:`class_maps` is ``CAM(class_weights) + class_bias``."""
        return self.classifier.bias

    def class_maps(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the ``(N, K, H, W)`` class maps (with the bias)."""
        return conv_head_class_maps(
            self.cam_features(feats),
            self.classifier.weight,
            self.classifier.bias,
        )

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the logits ``(N, K)``: spatial means of the class maps."""
        return self.class_maps(feats).mean(dim=(2, 3))

    # ------------------------------------------------------------------
    # loss
    # ------------------------------------------------------------------
    def loss(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: List[DataSample],
        **kwargs,
    ) -> dict:
        """Cross-entropy on the logits, plus the RA loss when active.

        Args:
            feats (tuple[torch.Tensor]): Backbone (or neck) outputs.
            data_samples (List[DataSample]): Annotations.

        Returns:
            dict[str, torch.Tensor]: without ``ra_loss``, ``loss`` (CE) as in
            mmpretrain; with it, ``loss_cls`` (CE) and ``loss_ra`` (0 before
            ``ram_start``), which MMEngine sums and logs as ``loss``; plus
            the accuracies with ``cal_acc``.
        """
        maps = self.class_maps(feats)
        losses = self._get_loss(maps.mean(dim=(2, 3)), data_samples, **kwargs)
        if self.ra_loss is None:
            return losses
        # named apart so that the log shows the total `loss` and both parts
        losses['loss_cls'] = losses.pop('loss')
        if (
            self.epoch is None
            and self.ram_start > 0
            and not self._warned_no_epoch
        ):
            print_log(
                f'RAMHead(ram_start={self.ram_start}) was never told the '
                'epoch, so the RA loss stays off; add '
                "custom_hooks=[dict(type='RAMStartHook')] to the config.",
                logger='current',
                level=30,
            )
            self._warned_no_epoch = True
        if self.ra_active:
            labels = single_gt_labels(data_samples, 'the RA loss')
            labels = labels.to(maps.device)
            losses['loss_ra'] = self.ra_loss(maps, labels)
        else:
            losses['loss_ra'] = maps.new_zeros(())
        return losses

    def extra_repr(self) -> str:
        return f'ram_start={self.ram_start}, epoch={self.epoch}'
