"""Hook that draws localization maps with predicted and GT boxes."""

import os
import os.path as osp
import re
from typing import Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook

from mmwsol.evaluation.box_rule import BoxRule
from mmwsol.registry import HOOKS
from mmwsol.visualization import draw_cam_overlay


def _image_rgb(img: torch.Tensor, bgr: bool) -> np.ndarray:
    """Turn a packed ``(3, H, W)`` uint8 input into an RGB array."""
    arr = img.detach().cpu().numpy().transpose(1, 2, 0)
    arr = np.ascontiguousarray(np.clip(arr, 0, 255).astype(np.uint8))
    return arr[..., ::-1].copy() if bgr else arr


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Draw maps, predicted boxes (green) and GT boxes (red) during test/val.

    The map of the GT class (or of the top-1 class when no label is known)
    is blended over the network input, the boxes are cut at a fixed
    threshold like the metric does, and the image goes to the runner's
    visualizer backends (``runner.visualizer.add_image``: local files under
    ``<work_dir>/<timestamp>/vis_data/vis_image``, TensorBoard, WandB...,
    named ``test_<img_id>`` / ``val_<img_id>`` at step ``runner.iter``)
    and, with ``out_dir``, to PNG files (``<out_dir>/<img_id>.png`` for
    test, ``<out_dir>/val_iter<N>/<img_id>.png`` for validation).

    Every ``interval``-th batch is drawn, up to ``max_samples`` samples per
    evaluation run and rank. MMEngine's visualizer backends only write on
    rank 0, so with ``all_ranks=True`` in a distributed run each rank keeps
    its overlays until the end of the evaluation run, where they are
    gathered (one ``all_gather_object``) and rank 0 writes all of them;
    without it only rank 0's samples are drawn.

    Example config::

        custom_hooks = [dict(type='CAMVisualizationHook', interval=10,
                             max_samples=16, enable_val=True)]
        visualizer = dict(type='UniversalVisualizer', vis_backends=[
            dict(type='LocalVisBackend'),
            dict(type='TensorboardVisBackend')])

    Args:
        out_dir (str, optional): Folder for PNG files (relative to the work
            dir unless absolute). Defaults to None (backends only).
        max_samples (int): Samples drawn per evaluation run per rank; -1 for
            all. Defaults to 8.
        interval (int): Draw every ``interval``-th batch. Defaults to 1.
        box_rule (BoxRule | dict, optional): How the predicted boxes are
            cut (threshold, standard, percentile, box mode), see
            :class:`~mmwsol.evaluation.BoxRule`. Defaults to None: the
            rule's defaults. ``tools/train.py`` / ``tools/test.py`` pass the
            config's top-level ``box_rule``, the one GT-known / Top-k Loc
            use.
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
        enable_val: bool = False,
        all_ranks: bool = False,
        input_bgr: bool = True,
    ):
        self.out_dir = out_dir
        self.max_samples = max_samples
        self.interval = max(1, interval)
        self.box_rule = BoxRule.from_cfg(box_rule)
        self.enable_val = enable_val
        self.all_ranks = all_ranks
        self.input_bgr = input_bgr
        self._drawn = 0
        self._pending = []

    def _reset(self, runner) -> None:
        self._drawn = 0
        self._pending = []

    def _gathering(self) -> bool:
        return self.all_ranks and get_world_size() > 1

    def _flush(self, runner) -> None:
        """Gather the kept overlays of all ranks; rank 0 writes them."""
        if not self._gathering():
            return
        gathered = all_gather_object(self._pending)
        self._pending = []
        if get_rank() != 0:
            return
        for items in gathered:
            for mode, stem, overlay, step in items:
                self._write(runner, mode, stem, overlay, step)

    def after_test_epoch(self, runner, metrics=None) -> None:
        """Write the overlays gathered from all ranks (``all_ranks``)."""
        self._flush(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Write the overlays gathered from all ranks (``all_ranks``)."""
        if self.enable_val:
            self._flush(runner)

    def before_test_epoch(self, runner) -> None:
        """Reset the counter."""
        self._reset(runner)

    def before_val_epoch(self, runner) -> None:
        """Reset the counter."""
        self._reset(runner)

    def after_val_iter(
        self,
        runner,
        batch_idx: int,
        data_batch=None,
        outputs: Optional[Sequence] = None,
    ) -> None:
        """Draw validation samples when ``enable_val``."""
        if self.enable_val:
            self._draw_batch(runner, batch_idx, data_batch, outputs, 'val')

    def after_test_iter(
        self,
        runner,
        batch_idx: int,
        data_batch=None,
        outputs: Optional[Sequence] = None,
    ) -> None:
        """Draw test samples."""
        self._draw_batch(runner, batch_idx, data_batch, outputs, 'test')

    def _class_names(self, runner, mode: str) -> Optional[Sequence[str]]:
        loader = getattr(runner, f'{mode}_dataloader', None)
        dataset = getattr(loader, 'dataset', None)
        meta = getattr(dataset, 'metainfo', None) or {}
        return meta.get('classes')

    def _draw_batch(
        self, runner, batch_idx, data_batch, outputs, mode: str
    ) -> None:
        if outputs is None or data_batch is None:
            return
        if not self.all_ranks and get_rank() != 0:
            return
        if batch_idx % self.interval != 0:
            return
        classes = self._class_names(runner, mode)
        for img, sample in zip(data_batch['inputs'], outputs):
            if 0 <= self.max_samples <= self._drawn:
                return
            self._draw_sample(runner, img, sample, classes, mode)
            self._drawn += 1

    def _draw_sample(self, runner, img, sample, classes, mode: str) -> None:
        image = _image_rgb(img, self.input_bgr)
        has_gt = 'gt_cam' in sample
        if has_gt:
            cam, cls = sample.gt_cam, int(sample.gt_label[0])
        elif 'pred_cams' in sample:
            cam, cls = sample.pred_cams[0], int(sample.pred_cam_labels[0])
        else:
            return
        cam = cam.detach().float().cpu().numpy()
        boxes = self.box_rule.boxes(cam)
        gt_boxes = None
        if 'gt_bboxes' in sample:
            gt_boxes = sample.gt_bboxes.detach().cpu().numpy()

        def name(c: int) -> str:
            return (
                classes[c]
                if classes is not None and c < len(classes)
                else str(c)
            )

        pred = (
            int(sample.pred_label[0])
            if sample.pred_label.dim()
            else int(sample.pred_label)
        )
        score = float(sample.pred_score[pred])
        texts = [f'pred: {name(pred)} ({score:.2f})']
        if has_gt:
            texts.insert(0, f'GT: {name(cls)}')
        overlay = draw_cam_overlay(image, cam, boxes, gt_boxes, texts=texts)
        img_id = (
            sample.get('img_id', None)
            or sample.get('img_path', None)
            or f'{self._drawn}'
        )
        stem = re.sub(r'[^A-Za-z0-9_.-]+', '_', str(img_id)).strip('_')
        stem = osp.splitext(stem)[0] or f'sample_{self._drawn}'
        if self._gathering():
            self._pending.append((mode, stem, overlay, runner.iter))
        else:
            self._write(runner, mode, stem, overlay, runner.iter)

    def _write(
        self, runner, mode: str, stem: str, overlay: np.ndarray, step: int
    ) -> None:
        """Send one overlay to the visualizer backends and ``out_dir``."""
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
