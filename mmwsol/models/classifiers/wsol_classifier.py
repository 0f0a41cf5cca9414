"""Image classifier that also localizes: the model of every WSOL method."""

import logging
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

from ..utils import as_feature_maps, run_backbone, spatial_backbone_cfg


@MODELS.register_module()
class WSOLClassifier(ImageClassifier):
    """Classifier trained with image labels whose predictions carry maps.

    ``backbone -> neck (optional, spatial) -> head`` as in mmpretrain's
    :class:`ImageClassifier`; ``loss`` and ``mode='tensor'`` behave the same.
    ``predict`` additionally runs the ``localizer`` and stores in each
    :class:`DataSample`:

    - ``pred_score`` / ``pred_label``: softmax scores and top-1 class;
    - ``gt_cam``: ``(H, W)`` map of the GT class in ``[0, 1]`` (when the
      sample has a ``gt_label``), and ``gt_cam_valid``: a ``bool``, False
      when the raw map held a NaN / inf value (``gt_cam`` is then all
      zeros; the metrics count and report such maps);
    - ``pred_cams``: ``(k, H, W)`` maps of the top-k predicted classes in
      score order, ``pred_cam_labels``: their classes (``k`` =
      ``topk_maps``), and ``pred_cams_valid``: a ``(k, )`` bool tensor, the
      same check per map.

    ``H x W`` is the network input size. The localizer computes in float32
    whatever the autocast state (see :class:`BaseLocalizer`).

    **Any backbone's output form.** With a CAM-style head (one with
    ``cam_features``, e.g. :class:`CAMHead`) the backbone config gets the
    options that keep its output spatial (ConvNeXt-like:
    ``gap_before_final_norm=False``; ViT / DeiT-like: ``out_type='featmap'``;
    Swin-like at a small ``img_size``: ``pad_small_map=True``; see
    ``mmwsol.models.utils.spatial_output.RULES``), each change logged in one
    line. Token outputs ``(N, L, C)`` are reshaped to the patch grid, and a
    backbone that still returns pooled vectors stops with an error naming
    the option to set.

    **Only the maps that are needed.** The metrics read ``gt_cam`` only, so
    the test configs set ``topk_maps=0``: one map per image. Whoever needs
    predicted-class maps (the inferencer, ``tools/test.py --out-item pred``)
    sets the model attribute ``topk_maps`` before predicting. A localizer
    with a ``shared_forward`` context (the gradient localizers) runs the
    classifier's forward pass itself, so that scores and maps come from one
    pass (eval mode, float32) instead of two.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config; it must keep the features
            spatial (e.g. a non-local neck), not pool them.
        head (dict): Head config, e.g. ``CAMHead``.
        localizer (dict): Localizer config. Defaults to ``dict(type='CAM')``.
        topk_maps (int): Number of predicted-class maps in ``pred_cams``
            (clipped to the number of classes; 0 disables them). Read at
            each ``predict``: set ``model.topk_maps`` to change it.
            Defaults to 1.
        pretrained (str, optional): Checkpoint of the whole model.
        train_cfg (dict, optional): Batch augmentations, as in mmpretrain.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        backbone: dict,
        neck: Optional[dict] = None,
        head: Optional[dict] = None,
        localizer: Optional[dict] = dict(type='CAM'),
        topk_maps: int = 1,
        pretrained: Optional[str] = None,
        train_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ):
        if head is not None and _needs_maps(head):
            backbone = _spatial_backbone(backbone)
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if head is None:
            raise ValueError('WSOLClassifier needs a head')
        if topk_maps < 0:
            raise ValueError(f'topk_maps={topk_maps} must be >= 0')
        if localizer is not None and not isinstance(localizer, nn.Module):
            localizer = MODELS.build(localizer)
        self.localizer = localizer
        self.topk_maps = topk_maps

    def extract_feat(
        self, inputs: torch.Tensor, stage: str = 'neck'
    ) -> Union[tuple, torch.Tensor]:
        """Features of ``stage`` (``'backbone'``, ``'neck'`` or
        ``'pre_logits'``), as in :class:`ImageClassifier`; with a CAM-style
        head the backbone outputs are maps (tokens reshaped, see the class
        docstring)."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(
                f'stage={stage!r}: choose backbone, neck or pre_logits'
            )
        x = run_backbone(self.backbone, inputs)
        if _needs_maps(self.head):
            x = as_feature_maps(x, self.backbone, tuple(inputs.shape[-2:]))
        if stage == 'backbone':
            return x
        if self.with_neck:
            x = self.neck(x)
        if stage == 'neck':
            return x
        return self.head.pre_logits(x)

    @property
    def with_localizer(self) -> bool:
        """Whether the model has a localizer."""
        return self.localizer is not None

    def predict(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[DataSample]] = None,
        **kwargs,
    ) -> List[DataSample]:
        """Classify and localize a batch.

        Args:
            inputs (torch.Tensor): Input batch ``(N, 3, H, W)``.
            data_samples (List[DataSample], optional): Annotations; when every
                sample has a ``gt_label``, ``gt_cam`` is produced.

        Returns:
            List[DataSample]: Samples with scores, labels and maps.
        """
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.shape[0])]
        has_gt = all('gt_label' in s for s in data_samples)
        need_maps = self.with_localizer and (has_gt or self.topk_maps > 0)
        with self._forward(inputs, need_maps) as (feats, logits):
            scores = F.softmax(logits, dim=1)
            for sample, score in zip(data_samples, scores):
                sample.set_pred_score(score).set_pred_label(score.argmax(0))
            if need_maps:
                self._add_maps(inputs, feats, logits, data_samples, has_gt)
        return data_samples

    @contextmanager
    def _forward(
        self, inputs: torch.Tensor, need_maps: bool
    ) -> Iterator[Tuple[tuple, torch.Tensor]]:
        """Features and logits: from the localizer's ``shared_forward``
        when maps are needed and it has one, else a plain forward pass."""
        shared = getattr(self.localizer, 'shared_forward', None)
        if need_maps and shared is not None:
            with shared(self, inputs) as (feats, logits):
                yield feats, logits
        else:
            feats = self.extract_feat(inputs)
            yield feats, self.head(feats)

    def _add_maps(
        self,
        inputs: torch.Tensor,
        feats: tuple,
        logits: torch.Tensor,
        data_samples: List[DataSample],
        has_gt: bool,
    ) -> None:
        """Store the GT map (``has_gt``) and the top-k maps in the samples."""
        n, num_classes = logits.shape
        k = min(self.topk_maps, num_classes)
        topk = (
            logits.topk(k, dim=1).indices
            if k > 0
            else logits.new_zeros((n, 0), dtype=torch.long)
        )
        targets = topk
        if has_gt:
            gt = torch.stack([s.gt_label[0] for s in data_samples])
            targets = torch.cat([gt.to(topk.device)[:, None], topk], dim=1)
        if targets.shape[1] == 0:
            return
        maps, valid = self._localize(inputs, feats, logits, targets)
        for i, sample in enumerate(data_samples):
            if has_gt:
                sample.set_field(maps[i, 0], 'gt_cam')
                sample.set_field(bool(valid[i, 0]), 'gt_cam_valid')
            if k > 0:
                sample.set_field(maps[i, int(has_gt) :], 'pred_cams')
                sample.set_field(valid[i, int(has_gt) :], 'pred_cams_valid')
                sample.set_field(topk[i], 'pred_cam_labels')

    def _localize(
        self,
        inputs: torch.Tensor,
        feats: tuple,
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Maps ``(N, T, H, W)`` and their validity ``(N, T)``, detached.

        A localizer without ``localize_with_validity`` (not a
        :class:`BaseLocalizer`) has its maps checked after ``localize``.
        """
        if hasattr(self.localizer, 'localize_with_validity'):
            maps, valid = self.localizer.localize_with_validity(
                self, inputs, feats, logits, targets
            )
        else:
            maps = self.localizer.localize(
                self, inputs, feats, logits, targets
            )
            valid = torch.isfinite(maps).flatten(2).all(dim=2)
        return maps.detach(), valid.detach()


def _needs_maps(head: Union[dict, nn.Module]) -> bool:
    """Whether a head (config or module) builds maps from the features."""
    if isinstance(head, nn.Module):
        return hasattr(head, 'cam_features')
    kind = head.get('type')
    cls = kind if isinstance(kind, type) else MODELS.get(kind)
    return cls is not None and hasattr(cls, 'cam_features')


def _spatial_backbone(backbone: Union[dict, nn.Module]):
    """The backbone config with its spatial-output options set (logged)."""
    if isinstance(backbone, nn.Module):
        return backbone
    backbone, notes = spatial_backbone_cfg(backbone)
    for note in notes:
        print_log(note, logger='current', level=logging.INFO)
    return backbone
