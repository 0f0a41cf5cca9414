"""Hook that writes one self-contained HTML report per test run."""

import inspect
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.config import Config
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook

from mmwsol.evaluation.box_rule import BoxRule
from mmwsol.registry import HOOKS, METRICS
from mmwsol.visualization import draw_cam_overlay
from mmwsol.visualization.curves import load_curves
from mmwsol.visualization.report import GalleryItem, render_report
from mmwsol.visualization.sampling import (
    SampleView,
    dedupe_by_index,
    extreme_key,
    sample_view,
    select_extremes,
)

from .cam_visualization_hook import _image_rgb


def per_class_accuracy(
    records: Sequence[dict],
    iou_threshold: float,
    classes: Optional[Sequence[str]] = None,
) -> List[dict]:
    """GT-known localization accuracy and mean IoU of each class.

    Args:
        records (Sequence[dict]): Per-sample ``label`` and ``iou`` (None
            when the sample has no GT box: left out).
        iou_threshold (float): A sample is localized when ``iou >=
            iou_threshold`` (a fraction, e.g. 0.5).
        classes (Sequence[str], optional): Class names.

    Returns:
        list[dict]: ``name``, ``label``, ``num``, ``accuracy`` (percent),
        ``mean_iou`` per class, in label order.
    """
    by_class: Dict[int, List[float]] = {}
    for record in records:
        if record['iou'] is not None and record['label'] >= 0:
            by_class.setdefault(record['label'], []).append(record['iou'])
    rows = []
    for label in sorted(by_class):
        ious = np.asarray(by_class[label], dtype=np.float64)
        name = (
            str(classes[label])
            if classes is not None and label < len(classes)
            else str(label)
        )
        rows.append(
            dict(
                name=name,
                label=label,
                num=int(ious.size),
                accuracy=float(np.mean(ious >= iou_threshold) * 100),
                mean_iou=float(ious.mean()),
            )
        )
    return rows


def _takes(type_, argument: str) -> bool:
    """Whether a registered metric class takes ``argument``."""
    cls = METRICS.get(type_) if isinstance(type_, str) else type_
    if not inspect.isclass(cls):
        return False
    return argument in inspect.signature(cls.__init__).parameters


def configure_report(cfg: Config, out_dir: str) -> None:
    """Add a :class:`WSOLReportHook` writing to ``out_dir`` to a config.

    Test metrics that can write curves (``curves_file``) but have none get
    ``<out_dir>/curves.json`` (box and mask curves share it, see
    :mod:`~mmwsol.evaluation.metrics.curves_file`).

    Args:
        cfg (Config): The config, changed in place.
        out_dir (str): The report folder, relative to ``cfg.work_dir``
            unless absolute.
    """
    if not osp.isabs(out_dir):
        out_dir = osp.join(cfg.get('work_dir', None) or '.', out_dir)
    evaluator = cfg.get('test_evaluator', None)
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    metrics = [evaluator] if isinstance(evaluator, dict) else evaluator or []
    for metric in metrics:
        if (
            isinstance(metric, dict)
            and not metric.get('curves_file')
            and _takes(metric.get('type'), 'curves_file')
        ):
            metric['curves_file'] = osp.join(out_dir, 'curves.json')
    hooks = [
        h
        for h in cfg.get('custom_hooks', None) or []
        if h.get('type') != 'WSOLReportHook'
    ]
    hooks.append(dict(type='WSOLReportHook', out_dir=out_dir))
    cfg.custom_hooks = hooks


@HOOKS.register_module()
class WSOLReportHook(Hook):
    """Write ``<out_dir>/report.html`` at the end of each test run.

    The page (see :mod:`mmwsol.visualization.report`) holds the run's
    metrics, the curves of every test metric with a ``curves_file``, the
    GT-known localization accuracy and mean IoU of each class, SPA's error
    cases when the metric computed them, and galleries of the
    ``num_gallery`` best and worst localized images. A sample's IoU is that
    of the boxes the box rule cuts from its GT-class map with its GT boxes
    (in network-input pixels), as on the overlays of
    :class:`CAMVisualizationHook`; it is localized at ``IoU >=
    loc_iou_threshold / 100``.

    Every rank keeps one small record per sample and its own best / worst
    candidates; at the end of the run they are gathered to rank 0, which
    sorts them by dataset index and (IoU, index), so a distributed run
    writes the same report as a single process. ``samples.json`` next to
    the page lists the records (index, image, label, prediction, score,
    IoU) and the per-class rows.

    Args:
        out_dir (str): Report folder (relative to the work dir unless
            absolute). Defaults to 'report'.
        num_gallery (int): Images per gallery. Defaults to 8.
        box_rule (BoxRule | dict, optional): How boxes are cut, see
            :class:`~mmwsol.evaluation.BoxRule`; ``tools/test.py`` passes
            the config's. Defaults to None (the rule's defaults).
        loc_iou_threshold (float): IoU threshold in percent of the
            per-class accuracy. Defaults to 50.
        thumb_size (int): Shortest side of the gallery overlays. Defaults
            to 256.
        input_bgr (bool): Whether packed inputs are BGR. Defaults to True.
    """

    priority = 'LOW'

    def __init__(
        self,
        out_dir: str = 'report',
        num_gallery: int = 8,
        box_rule: Union[BoxRule, dict, None] = None,
        loc_iou_threshold: float = 50.0,
        thumb_size: int = 256,
        input_bgr: bool = True,
    ):
        self.out_dir = out_dir
        self.num_gallery = num_gallery
        self.box_rule = BoxRule.from_cfg(box_rule)
        self.loc_iou_threshold = float(loc_iou_threshold)
        self.thumb_size = thumb_size
        self.input_bgr = input_bgr
        self._records: List[dict] = []
        self._best: List[SampleView] = []
        self._worst: List[SampleView] = []

    def before_test_epoch(self, runner) -> None:
        """Start a new run."""
        self._records, self._best, self._worst = [], [], []

    def _classes(self, runner) -> Optional[Sequence[str]]:
        loader = getattr(runner, 'test_dataloader', None)
        meta = getattr(getattr(loader, 'dataset', None), 'metainfo', None)
        return (meta or {}).get('classes')

    def after_test_iter(
        self, runner, batch_idx: int, data_batch=None, outputs=None
    ) -> None:
        """Record every sample, keep the best / worst candidates."""
        if outputs is None or data_batch is None:
            return
        classes = self._classes(runner)
        for img, sample in zip(data_batch['inputs'], outputs):
            view = sample_view(
                _image_rgb(img, self.input_bgr),
                sample,
                self.box_rule,
                classes,
                f'sample_{len(self._records)}',
            )
            if view is None:
                continue
            self._records.append(view.summary())
            if not math.isnan(view.iou):
                self._keep(self._best, view, 'best')
                self._keep(self._worst, view, 'worst')

    def _keep(self, views: List[SampleView], view, order: str) -> None:
        views.append(view)
        if len(views) > 2 * max(self.num_gallery, 1):
            views.sort(key=extreme_key(order))
            del views[self.num_gallery :]

    def _gather(self):
        parts = (self._records, self._best, self._worst)
        if get_world_size() > 1:
            gathered = all_gather_object(parts)
            parts = tuple(
                [item for part in gathered for item in part[i]]
                for i in range(3)
            )
        return parts

    def _curves(self, runner) -> List[dict]:
        evaluator = getattr(runner, 'test_evaluator', None)
        paths = []
        for metric in getattr(evaluator, 'metrics', []):
            path = getattr(metric, 'curves_file', None)
            if path and osp.isfile(path) and path not in paths:
                paths.append(path)
        return [load_curves(path) for path in paths]

    def _items(self, views: Sequence[SampleView]) -> List[GalleryItem]:
        items = []
        for view in views:
            overlay = draw_cam_overlay(
                view.image,
                view.cam,
                view.pred_boxes,
                view.gt_boxes,
                texts=[f'IoU {view.iou:.2f}'],
                min_size=self.thumb_size,
            )
            caption = '\n'.join([view.stem] + view.texts)
            items.append(GalleryItem(overlay, caption))
        return items

    def after_test_epoch(self, runner, metrics=None) -> None:
        """Gather to rank 0 and write the page and ``samples.json``."""
        records, best, worst = self._gather()
        self._records, self._best, self._worst = [], [], []
        if get_rank() != 0:
            return
        # a distributed sampler pads the last ranks with repeated samples
        records = dedupe_by_index(sorted(records, key=lambda r: r['index']))
        threshold = self.loc_iou_threshold / 100
        per_class = per_class_accuracy(
            records, threshold, self._classes(runner)
        )
        out_dir = (
            self.out_dir
            if osp.isabs(self.out_dir)
            else osp.join(runner.work_dir, self.out_dir)
        )
        os.makedirs(out_dir, exist_ok=True)
        rule = self.box_rule
        notes = {
            'header': f'{len(records)} test images, work dir '
            f'{runner.work_dir}',
            'per-class': f'GT-known Loc: IoU >= {threshold:g} of the boxes '
            f'cut at threshold {rule.threshold:g} '
            f'({rule.threshold_standard}, {rule.box_mode} box) with the GT '
            'boxes.',
            'best': 'Highest IoU (ties: lower dataset index). Red: GT, '
            'green: predicted.',
            'worst': 'Lowest IoU (ties: lower dataset index).',
        }
        page = render_report(
            getattr(runner, 'experiment_name', 'WSOL evaluation'),
            {k: v for k, v in (metrics or {}).items()},
            self._curves(runner),
            per_class,
            self._items(select_extremes(best, self.num_gallery, 'best')),
            self._items(select_extremes(worst, self.num_gallery, 'worst')),
            notes,
        )
        path = osp.join(out_dir, 'report.html')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(page)
        with open(osp.join(out_dir, 'samples.json'), 'w') as f:
            json.dump(dict(samples=records, per_class=per_class), f, indent=1)
        runner.logger.info(f'report written to {path}')
