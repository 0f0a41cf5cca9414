"""Hook that draws localization maps with predicted and GT boxes."""

import os
import os.path as osp
from typing import List, Optional, Sequence, Set, Union

import cv2
import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook

from mmwsol.evaluation.box_rule import BoxRule
from mmwsol.registry import HOOKS
from mmwsol.visualization import draw_cam_overlay
from mmwsol.visualization.overlay import MIN_SIZE
from mmwsol.visualization.sampling import (
    ORDERS,
    SampleView,
    extreme_key,
    sample_view,
    select_extremes,
    spread_indices,
)


def _image_rgb(img: torch.Tensor, bgr: bool) -> np.ndarray:
    """Turn a packed ``(3, H, W)`` uint8 input into an RGB array."""
    arr = img.detach().cpu().numpy().transpose(1, 2, 0)
    arr = np.ascontiguousarray(np.clip(arr, 0, 255).astype(np.uint8))
    return arr[..., ::-1].copy() if bgr else arr


def dataset_labels(dataset) -> Optional[List[int]]:
    """The class label of every index of a dataset (None if unknown)."""
    if dataset is None or not hasattr(dataset, 'get_data_info'):
        return None
    labels = []
    for i in range(len(dataset)):
        label = dataset.get_data_info(i).get('gt_label', None)
        if label is None:
            return None
        labels.append(int(np.asarray(label).reshape(-1)[0]))
    return labels


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Draw maps, predicted boxes (green) and GT boxes (red) during test/val.

    The map of the GT class (or of the top-1 class when no label is known)
    is blended over the network input, the boxes are cut by the config's
    box rule (the one GT-known Loc uses), and the caption names the GT and
    predicted classes and the IoU of the drawn boxes with the GT boxes.
    Small inputs are upscaled to a ``min_size`` shortest side first.

    Which samples are drawn (``order``, up to ``max_samples``):

    - ``'spread'`` (default): round-robin over the classes of the dataset
      (the first image of each class, then the second...), chosen from the
      dataset's labels before the run, so the choice is the same in any
      distributed setting;
    - ``'best'`` / ``'worst'``: the highest / lowest IoU (ties: lower
      dataset index), kept while testing, drawn at the end of the run;
    - ``'first'``: the first samples of every ``interval``-th batch.

    Where they go, one copy each: with ``out_dir``, PNG files only
    (``<out_dir>/<img_id>.png``, ``<out_dir>/<order><i>_<img_id>.png`` for
    best / worst; validation under ``<out_dir>/val_iter<N>/``); without,
    the runner's visualizer backends (``runner.visualizer.add_image``:
    ``vis_data/vis_image``, TensorBoard, WandB..., named ``test_<img_id>``
    / ``val_<img_id>`` at step ``runner.iter``). ``backends=True`` sends
    them to the backends as well.

    MMEngine's visualizer backends only write on rank 0, so with
    ``all_ranks=True`` in a distributed run each rank keeps its overlays
    (or its best / worst candidates) until the end of the evaluation run,
    where they are gathered (one ``all_gather_object``) and rank 0 writes
    them; without it only rank 0's samples are drawn.

    Example config::

        custom_hooks = [dict(type='CAMVisualizationHook', max_samples=16,
                             order='worst', enable_val=True)]

    Args:
        out_dir (str, optional): Folder for PNG files (relative to the work
            dir unless absolute). Defaults to None (backends only).
        max_samples (int): Samples drawn per evaluation run; -1 for all.
            Defaults to 8.
        interval (int): With ``order='first'``, draw every
            ``interval``-th batch. Defaults to 1.
        box_rule (BoxRule | dict, optional): How the predicted boxes are
            cut (threshold, standard, percentile, box mode), see
            :class:`~mmwsol.evaluation.BoxRule`. Defaults to None: the
            rule's defaults. ``tools/train.py`` / ``tools/test.py`` pass the
            config's top-level ``box_rule``, the one GT-known / Top-k Loc
            use.
        order (str): ``'spread'``, ``'best'``, ``'worst'`` or ``'first'``.
            Defaults to 'spread'.
        min_size (int): Shortest side of the drawn overlays (0: input
            size). Defaults to 384.
        backends (bool, optional): Send the overlays to the visualizer
            backends. Defaults to None: only when ``out_dir`` is None.
        enable_val (bool): Also draw during validation. Defaults to False.
        all_ranks (bool): Draw the samples of every rank (gathered to rank
            0 at the end of each evaluation run), not only rank 0's.
            Defaults to False.
        input_bgr (bool): Whether packed inputs are BGR (OpenCV loading).
            Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(
        self,
        out_dir: Optional[str] = None,
        max_samples: int = 8,
        interval: int = 1,
        box_rule: Union[BoxRule, dict, None] = None,
        order: str = 'spread',
        min_size: int = MIN_SIZE,
        backends: Optional[bool] = None,
        enable_val: bool = False,
        all_ranks: bool = False,
        input_bgr: bool = True,
    ):
        if order not in ORDERS:
            raise ValueError(
                f'CAMVisualizationHook: order must be one of {ORDERS}, '
                f'got {order!r}'
            )
        self.out_dir = out_dir
        self.max_samples = max_samples
        self.interval = max(1, interval)
        self.box_rule = BoxRule.from_cfg(box_rule)
        self.order = order
        self.min_size = min_size
        self.backends = out_dir is None if backends is None else backends
        self.enable_val = enable_val
        self.all_ranks = all_ranks
        self.input_bgr = input_bgr
        self._drawn = 0
        self._pending = []
        self._views: List[SampleView] = []
        self._chosen: Optional[Set[int]] = None

    def _reset(self, runner, mode: str) -> None:
        self._drawn = 0
        self._pending = []
        self._views = []
        self._chosen = None
        if self.order == 'spread':
            loader = getattr(runner, f'{mode}_dataloader', None)
            labels = dataset_labels(getattr(loader, 'dataset', None))
            if labels is not None:  # else: the first samples
                self._chosen = set(spread_indices(labels, self.max_samples))

    def _gathering(self) -> bool:
        return self.all_ranks and get_world_size() > 1

    def _flush(self, runner, mode: str) -> None:
        """Gather what the ranks kept; rank 0 draws and writes it."""
        pending, views = self._pending, self._views
        self._pending, self._views = [], []
        if self._gathering():
            gathered = all_gather_object((pending, views))
            pending = [item for part, _ in gathered for item in part]
            views = [view for _, part in gathered for view in part]
        if get_rank() != 0:
            return
        if self.order in ('best', 'worst'):
            chosen = select_extremes(views, self.max_samples, self.order)
            for i, view in enumerate(chosen):
                stem = f'{self.order}{i:02d}_{view.stem}'
                pending.append((mode, stem, self._draw(view), runner.iter))
        for mode_, stem, overlay, step in pending:
            self._write(runner, mode_, stem, overlay, step)

    def after_test_epoch(self, runner, metrics=None) -> None:
        """Write the kept or gathered overlays."""
        self._flush(runner, 'test')

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Write the kept or gathered overlays (``enable_val``)."""
        if self.enable_val:
            self._flush(runner, 'val')

    def before_test_epoch(self, runner) -> None:
        """Reset the counters and choose the samples to draw."""
        self._reset(runner, 'test')

    def before_val_epoch(self, runner) -> None:
        """Reset the counters and choose the samples to draw."""
        if self.enable_val:
            self._reset(runner, 'val')

    def after_val_iter(
        self,
        runner,
        batch_idx: int,
        data_batch=None,
        outputs: Optional[Sequence] = None,
    ) -> None:
        """Draw validation samples when ``enable_val``."""
        if self.enable_val:
            self._visit_batch(runner, batch_idx, data_batch, outputs, 'val')

    def after_test_iter(
        self,
        runner,
        batch_idx: int,
        data_batch=None,
        outputs: Optional[Sequence] = None,
    ) -> None:
        """Draw test samples."""
        self._visit_batch(runner, batch_idx, data_batch, outputs, 'test')

    def _class_names(self, runner, mode: str) -> Optional[Sequence[str]]:
        loader = getattr(runner, f'{mode}_dataloader', None)
        dataset = getattr(loader, 'dataset', None)
        meta = getattr(dataset, 'metainfo', None) or {}
        return meta.get('classes')

    def _wanted(self, batch_idx: int, index: int) -> bool:
        """Whether a sample of the 'first' / 'spread' orders is drawn."""
        if self._chosen is not None and index >= 0:
            return index in self._chosen
        return (
            batch_idx % self.interval == 0
            and not 0 <= self.max_samples <= self._drawn
        )

    def _visit_batch(
        self, runner, batch_idx, data_batch, outputs, mode: str
    ) -> None:
        if outputs is None or data_batch is None:
            return
        if not self.all_ranks and get_rank() != 0:
            return
        classes = self._class_names(runner, mode)
        extremes = self.order in ('best', 'worst')
        for img, sample in zip(data_batch['inputs'], outputs):
            index = sample.get('sample_idx', None)
            index = -1 if index is None else int(index)
            if not extremes and not self._wanted(batch_idx, index):
                continue
            view = sample_view(
                _image_rgb(img, self.input_bgr),
                sample,
                self.box_rule,
                classes,
                f'sample_{self._drawn}',
            )
            if view is None:
                continue
            self._drawn += 1
            if extremes:
                self._keep(view)
            elif self._gathering():
                self._pending.append(
                    (mode, view.stem, self._draw(view), runner.iter)
                )
            else:
                self._write(
                    runner, mode, view.stem, self._draw(view), runner.iter
                )

    def _keep(self, view: SampleView) -> None:
        """Keep a best / worst candidate; memory stays O(max_samples)."""
        if np.isnan(view.iou):
            return
        self._views.append(view)
        if self.max_samples >= 0 and len(self._views) > 2 * self.max_samples:
            self._views.sort(key=extreme_key(self.order))
            del self._views[self.max_samples :]

    def _draw(self, view: SampleView) -> np.ndarray:
        return draw_cam_overlay(
            view.image,
            view.cam,
            view.pred_boxes,
            view.gt_boxes,
            texts=view.texts,
            min_size=self.min_size,
        )

    def _write(
        self, runner, mode: str, stem: str, overlay: np.ndarray, step: int
    ) -> None:
        """Send one overlay to ``out_dir`` or the visualizer backends."""
        if self.backends:
            runner.visualizer.add_image(f'{mode}_{stem}', overlay, step=step)
        if self.out_dir is None:
            return
        out_dir = (
            self.out_dir
            if osp.isabs(self.out_dir)
            else osp.join(runner.work_dir, self.out_dir)
        )
        if mode != 'test':
            out_dir = osp.join(out_dir, f'{mode}_iter{step}')
        os.makedirs(out_dir, exist_ok=True)
        cv2.imwrite(
            osp.join(out_dir, f'{stem}.png'),
            cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR),
        )
