"""Self-Produced Guidance head (Zhang et al., ECCV 2018)."""

from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmwsol.models.localizers.functional import normalize_maps
from mmwsol.registry import MODELS

from .cam_head import spatial_input_error
from .labels import single_gt_labels

#: Value of the positions a guidance mask ignores.
IGNORE = 255.0


def spg_mask(
    attention: torch.Tensor,
    high: float,
    low: float,
    min_foreground: int = 30,
    fallback_ratio: float = 0.7,
) -> torch.Tensor:
    """SPG's guidance mask: 1 foreground, 0 background, 255 ignored.

    wsolevaluation's ``get_mask``: foreground where ``attention > high``;
    an image with fewer than ``min_foreground`` such pixels uses
    ``attention > fallback_ratio * max(attention)`` instead; then
    background where ``attention < low`` (applied last, so it wins).

    Args:
        attention (torch.Tensor): ``(N, H, W)`` (or ``(N, 1, H, W)``) maps.
        high (float): Foreground threshold.
        low (float): Background threshold.
        min_foreground (int): Foreground pixels below which the fallback
            threshold is used. Defaults to 30.
        fallback_ratio (float): Fallback threshold as a fraction of the
            image's maximum. Defaults to 0.7.

    Returns:
        torch.Tensor: ``(N, H, W)`` float mask.
    """
    att = attention.detach().reshape(-1, *attention.shape[-2:])
    if att.shape[0] != attention.shape[0]:
        raise ValueError(
            f'spg_mask needs (N, H, W) or (N, 1, H, W), got '
            f'{tuple(attention.shape)}'
        )
    fg = att > high
    few = fg.flatten(1).sum(1) < min_foreground
    if few.any():
        peak = att.flatten(1).amax(1).view(-1, 1, 1)
        fg = torch.where(few.view(-1, 1, 1), att > peak * fallback_ratio, fg)
    mask = torch.full_like(att, IGNORE)
    mask[fg] = 1.0
    mask[att < low] = 0.0
    return mask


def masked_bce(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy with logits over the positions the mask keeps.

    The mean runs over every kept position of the batch (wsolevaluation's
    ``loss_attention``). With no kept position (the reference's mean is
    NaN there) the loss is 0 and keeps the graph.

    Args:
        logits (torch.Tensor): ``(N, H, W)`` (or ``(N, 1, H, W)``) logits.
        mask (torch.Tensor): ``(N, H, W)`` from :func:`spg_mask`.

    Returns:
        torch.Tensor: A scalar.
    """
    logits = logits.reshape(mask.shape)
    kept = mask < IGNORE
    if not kept.any():
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[kept], mask[kept])


def _convs(channels: Sequence[int], dropout: float) -> nn.Sequential:
    """3x3 conv + ReLU per step ``channels[i] -> channels[i + 1]``."""
    layers = OrderedDict()
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        if dropout > 0:
            layers[f'drop{i + 1}'] = nn.Dropout(dropout)
        layers[f'conv{i + 1}'] = nn.Conv2d(c_in, c_out, 3, padding=1)
        layers[f'relu{i + 1}'] = nn.ReLU(inplace=False)
    if dropout > 0 and len(channels) > 1:
        layers['drop_out'] = nn.Dropout(dropout)
    return nn.Sequential(layers)


def _score_branch(in_channels: int, mid_channels: int) -> nn.Sequential:
    """conv 3x3 -> ReLU -> conv 1x1 to one channel."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(in_channels, mid_channels, 3, padding=1),
            relu=nn.ReLU(inplace=False),
            score=nn.Conv2d(mid_channels, 1, 1),
        )
    )


@MODELS.register_module()
class SPGHead(ClsHead):
    """The SPG classifier with its self-produced guidance branches.

    Reads three backbone maps ``feats[i]`` for ``i`` in ``feat_indices``:
    ``f1`` and ``f2`` (intermediate) and ``f3`` (the last). The main path
    ``x = main(f3)`` (``main_channels`` 3x3 conv + ReLU layers; none when
    the backbone already ends in them) gives the class maps
    ``classifier(x)`` (1x1 conv) and the logits (their spatial mean).
    Training adds, at ``mask_size`` (bilinear upsampling, as the reference
    does to 224 x 224):

    - ``B2 = shared(b2(f2))`` supervised by the mask of the label's
      normalised class map (thresholds ``thresholds[0]``);
    - ``B1 = shared(b1(f1))`` supervised by the mask of ``sigmoid(B2)``
      (``thresholds[1]``);
    - ``C = c(x)`` supervised by the mask of ``(sigmoid(B1) +
      sigmoid(B2)) / 2`` (``thresholds[2]``);

    each with :func:`masked_bce` on :func:`spg_mask`; the loss is
    ``CE + L_B2 + L_B1 + L_C`` (logged ``loss_cls``, ``loss_b2``,
    ``loss_b1``, ``loss_c``). The test map is the label's class map:
    :meth:`cam_features` / :meth:`class_weights` / :meth:`class_bias` make
    it a CAM-style head (``CAM`` gives that map; ``CCAM``, ``SCG`` and the
    gradient localizers apply too).

    Layouts of wsolevaluation (``wsol/{vgg,resnet,inception}.py``):
    VGG16 ``f1`` = block4 pooled, ``f2`` = ``f3`` = conv5_3,
    ``main_channels=(512, 512)``, ``branch_channels=512``; ResNet50
    ``f1`` = ``layer3.0``, ``f2`` = layer3, ``f3`` = layer4, no main convs,
    ``branch_channels=1024``; InceptionV3 ``f1`` = Mixed_5d pooled, ``f2``
    = Mixed_6d, ``f3`` = the 1024-channel head convs, ``branch_channels=
    512``. ``c_channels`` is 512 in all three.

    Args:
        num_classes (int): Number of classes ``K``.
        in_channels (Sequence[int]): Channels of ``f1``, ``f2``, ``f3``.
        feat_indices (Sequence[int]): Positions of ``f1``, ``f2``, ``f3`` in
            the backbone outputs. Defaults to ``(-3, -2, -1)``.
        main_channels (Sequence[int]): Output channels of the main path's
            3x3 convolutions. Defaults to none.
        branch_channels (int): Width of the B1 / B2 branches.
            Defaults to 512.
        c_channels (int): Width of the C branch. Defaults to 512.
        dropout (float): Dropout before each main-path conv and after the
            last (the reference's InceptionV3). Defaults to 0.
        thresholds (Sequence[Sequence[float]]): ``(high, low)`` of the B2,
            B1 and C masks. Defaults to wsolevaluation's ``((0.7, 0.01),
            (0.5, 0.05), (0.7, 0.1))``.
        mask_size (Sequence[int]): Size at which the masks and losses are
            computed. Defaults to ``(224, 224)`` (the reference's).
        loss (dict): Classification loss. Defaults to cross-entropy.
        topk (int | tuple[int]): Top-k accuracy with ``cal_acc``.
        cal_acc (bool): Log training accuracy.
        init_cfg (dict, optional): Defaults to Xavier (uniform) on convs.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: Sequence[int],
        feat_indices: Sequence[int] = (-3, -2, -1),
        main_channels: Sequence[int] = (),
        branch_channels: int = 512,
        c_channels: int = 512,
        dropout: float = 0.0,
        thresholds: Sequence[Sequence[float]] = (
            (0.7, 0.01),
            (0.5, 0.05),
            (0.7, 0.1),
        ),
        mask_size: Sequence[int] = (224, 224),
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
        if len(in_channels) != 3 or len(feat_indices) != 3:
            raise ValueError(
                'SPGHead in_channels and feat_indices need three entries '
                f'(f1, f2, f3), got {in_channels} and {feat_indices}'
            )
        thresholds = tuple(tuple(float(v) for v in t) for t in thresholds)
        if len(thresholds) != 3 or any(len(t) != 2 for t in thresholds):
            raise ValueError(
                'SPGHead thresholds must be three (high, low) pairs, got '
                f'{thresholds}'
            )
        self.num_classes = num_classes
        self.feat_indices = tuple(feat_indices)
        self.thresholds = thresholds
        self.mask_size = tuple(int(s) for s in mask_size)
        c1, c2, c3 = in_channels
        self.main = _convs([c3, *main_channels], dropout)
        self.main_out = main_channels[-1] if main_channels else c3
        self.classifier = nn.Conv2d(self.main_out, num_classes, 1)
        self.b1 = _convs([c1, branch_channels], 0.0)
        self.b2 = _convs([c2, branch_channels], 0.0)
        self.b_shared = nn.Sequential(
            _convs([branch_channels, branch_channels], 0.0),
            nn.Conv2d(branch_channels, 1, 1),
        )
        self.c = _score_branch(self.main_out, c_channels)

    def _pick(self, feats: Tuple[torch.Tensor]) -> List[torch.Tensor]:
        feats = feats if isinstance(feats, (tuple, list)) else (feats,)
        try:
            picked = [feats[i] for i in self.feat_indices]
        except IndexError:
            raise ValueError(
                f'SPGHead feat_indices={self.feat_indices} but the backbone '
                f'gave {len(feats)} maps; set its out_indices (and '
                'InsertLayers extra_outputs) to give f1, f2, f3'
            ) from None
        for x in picked:
            if x.dim() != 4:
                raise ValueError(spatial_input_error(x.shape, 'SPGHead'))
        return picked

    def cam_features(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The main path's output ``x``, which the 1x1 classifier reads."""
        return self.main(self._pick(feats)[2])

    def class_weights(self) -> torch.Tensor:
        """The 1x1 classifier's weights ``(K, C)``."""
        return self.classifier.weight.flatten(1)

    def class_bias(self) -> torch.Tensor:
        """The 1x1 classifier's bias ``(K, )``."""
        return self.classifier.bias

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Return the logits ``(N, K)``."""
        return self.classifier(self.cam_features(feats)).mean(dim=(2, 3))

    def guidance_outputs(
        self, feats: Tuple[torch.Tensor], labels: torch.Tensor
    ) -> dict:
        """Every map the SPG loss reads, at ``mask_size`` where upsampled.

        Args:
            feats (tuple[torch.Tensor]): Backbone outputs.
            labels (torch.Tensor): ``(N, )`` classes.

        Returns:
            dict: ``logits`` (N, K), ``b1``, ``b2``, ``c`` (N, 1, S, S)
            upsampled logits, ``attention`` (N, S, S) the label's
            normalised class map, ``fused`` (N, S, S).
        """
        f1, f2, f3 = self._pick(feats)
        x = self.main(f3)
        class_maps = self.classifier(x)

        def up(t):
            return F.interpolate(
                t, self.mask_size, mode='bilinear', align_corners=False
            )

        rows = torch.arange(labels.shape[0], device=labels.device)
        attention = normalize_maps(up(class_maps.detach())[rows, labels])
        b1 = up(self.b_shared(self.b1(f1)))
        b2 = up(self.b_shared(self.b2(f2)))
        fused = (b1.detach().sigmoid() + b2.detach().sigmoid()) / 2
        return dict(
            logits=class_maps.mean(dim=(2, 3)),
            b1=b1,
            b2=b2,
            c=up(self.c(x)),
            attention=attention,
            fused=fused[:, 0],
        )

    def loss(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: List[DataSample],
        **kwargs,
    ) -> dict:
        """``CE + L_B2 + L_B1 + L_C`` (see the class docstring).

        Args:
            feats (tuple[torch.Tensor]): Backbone outputs.
            data_samples (List[DataSample]): Annotations.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, ``loss_b2``, ``loss_b1``,
            ``loss_c`` (MMEngine logs their sum as ``loss``).
        """
        labels = single_gt_labels(data_samples, 'SPGHead')
        out = self.guidance_outputs(feats, labels.to(feats[-1].device))
        (h2, l2), (h1, l1), (hc, lc) = self.thresholds
        losses = self._get_loss(out['logits'], data_samples)
        losses['loss_cls'] = losses.pop('loss')
        b2_guide = out['b2'].detach().sigmoid()[:, 0]
        losses['loss_b2'] = masked_bce(
            out['b2'], spg_mask(out['attention'], h2, l2)
        )
        losses['loss_b1'] = masked_bce(out['b1'], spg_mask(b2_guide, h1, l1))
        losses['loss_c'] = masked_bce(out['c'], spg_mask(out['fused'], hc, lc))
        return losses
