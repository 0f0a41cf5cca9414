"""Which test samples to draw: spread over classes, best or worst by IoU.

Pure functions plus :class:`SampleView`, the drawing ingredients of one
evaluated sample (image, map, predicted and GT boxes, IoU), built by
:func:`sample_view` from a packed input and its data sample. Used by
:class:`~mmwsol.engine.hooks.CAMVisualizationHook` and the report hook.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from mmwsol.evaluation.functional.iou import box_iou

#: The orders of :func:`select_extremes` and of the hooks' ``order``.
ORDERS = ('first', 'spread', 'best', 'worst')


def spread_indices(labels: Sequence[int], num: int) -> List[int]:
    """Pick ``num`` samples round-robin over the classes.

    The first (lowest-index) sample of every class in class order, then the
    second of every class, and so on: with ``num >= number of classes`` all
    classes appear, otherwise ``num`` different classes. Deterministic: it
    depends only on the labels, not on the order samples arrive in.

    Args:
        labels (Sequence[int]): Class label of each dataset index.
        num (int): How many to pick; negative: all.

    Returns:
        list[int]: Dataset indices, in pick order.
    """
    by_class: Dict[int, List[int]] = {}
    for index, label in enumerate(labels):
        by_class.setdefault(int(label), []).append(index)
    queues = [by_class[c] for c in sorted(by_class)]
    total = len(labels) if num < 0 else min(num, len(labels))
    picked: List[int] = []
    depth = 0
    while len(picked) < total:
        for queue in queues:
            if depth < len(queue) and len(picked) < total:
                picked.append(queue[depth])
        depth += 1
    return picked


def sample_iou(
    pred_boxes: Optional[np.ndarray], gt_boxes: Optional[np.ndarray]
) -> float:
    """Best IoU over all (predicted, GT) box pairs; NaN when one is empty.

    Args:
        pred_boxes (np.ndarray, optional): ``(N, 4)`` inclusive boxes.
        gt_boxes (np.ndarray, optional): ``(M, 4)`` inclusive boxes.

    Returns:
        float: The IoU in ``[0, 1]`` or NaN.
    """
    if pred_boxes is None or gt_boxes is None:
        return float('nan')
    pred = np.asarray(pred_boxes, dtype=np.float64).reshape(-1, 4)
    gt = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    if not len(pred) or not len(gt):
        return float('nan')
    return float(box_iou(pred, gt).max())


def dedupe_by_index(items: Sequence) -> list:
    """Keep the first item of each dataset index (index -1: all kept).

    Items are dicts with ``'index'`` or objects with ``.index``.
    """
    seen = set()
    out = []
    for item in items:
        index = item['index'] if isinstance(item, dict) else item.index
        if index >= 0:
            if index in seen:
                continue
            seen.add(index)
        out.append(item)
    return out


def extreme_key(order: str) -> Callable:
    """Sort key of ``'best'`` (high IoU first) or ``'worst'`` (low first).

    Ties go to the lower dataset index, so the choice is deterministic.
    """
    if order == 'best':
        return lambda view: (-view.iou, view.index)
    if order == 'worst':
        return lambda view: (view.iou, view.index)
    raise ValueError(f"order must be 'best' or 'worst', got {order!r}")


def select_extremes(views: Sequence, num: int, order: str) -> list:
    """The ``num`` best or worst localized views (NaN IoU left out).

    A dataset index seen twice (a distributed sampler pads the last ranks
    with repeated samples) counts once.

    Args:
        views (Sequence): Objects with ``iou`` and ``index``.
        num (int): How many; negative: all.
        order (str): ``'best'`` or ``'worst'``.

    Returns:
        list: The chosen views, best (or worst) first.
    """
    valid = dedupe_by_index([v for v in views if not math.isnan(v.iou)])
    valid.sort(key=extreme_key(order))
    return valid if num < 0 else valid[:num]


def safe_stem(name, fallback: str) -> str:
    """A file name stem from an image id or path."""
    stem = re.sub(r'[^A-Za-z0-9_.-]+', '_', str(name)).strip('_')
    stem = re.sub(r'\.(png|jpe?g|bmp|tiff?|webp)$', '', stem, flags=re.I)
    return stem or fallback


@dataclass
class SampleView:
    """What is drawn of one evaluated sample.

    Attributes:
        index (int): Dataset index (``sample_idx``), -1 when unknown.
        stem (str): File name stem.
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB network input.
        cam (np.ndarray): ``(h, w)`` float32 map that was drawn.
        pred_boxes (np.ndarray): ``(N, 4)`` boxes cut from ``cam``.
        gt_boxes (np.ndarray, optional): ``(M, 4)`` GT boxes.
        label (int): GT class, -1 when unknown.
        pred (int): Top-1 class.
        score (float): Top-1 score.
        iou (float): :func:`sample_iou` of the boxes (NaN without GT).
        texts (list[str]): Caption lines.
    """

    index: int
    stem: str
    image: np.ndarray
    cam: np.ndarray
    pred_boxes: np.ndarray
    gt_boxes: Optional[np.ndarray]
    label: int
    pred: int
    score: float
    iou: float
    texts: List[str] = field(default_factory=list)

    def summary(self) -> dict:
        """JSON-ready record without the arrays."""
        return dict(
            index=self.index,
            stem=self.stem,
            label=self.label,
            pred=self.pred,
            score=round(self.score, 6),
            iou=None if math.isnan(self.iou) else round(self.iou, 6),
        )


def _class_name(classes: Optional[Sequence[str]], c: int) -> str:
    if classes is not None and 0 <= c < len(classes):
        return str(classes[c])
    return str(c)


def sample_view(
    image: np.ndarray,
    sample,
    box_rule,
    classes: Optional[Sequence[str]] = None,
    fallback_stem: str = 'sample',
) -> Optional[SampleView]:
    """The drawing ingredients of one sample.

    The map of the GT class (of the top-1 class without a label) is cut by
    ``box_rule``; the IoU is that of these boxes with the GT boxes.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB input.
        sample (DataSample): The model's output for it.
        box_rule: Object with ``boxes(cam) -> (N, 4)``.
        classes (Sequence[str], optional): Class names.
        fallback_stem (str): Stem when the sample has no id or path.

    Returns:
        SampleView | None: None when the sample has no map.
    """
    if 'gt_cam' in sample:
        cam, label = sample.gt_cam, int(sample.gt_label[0])
    elif 'pred_cams' in sample:
        cam, label = sample.pred_cams[0], -1
    else:
        return None
    cam = cam.detach().float().cpu().numpy()
    boxes = np.asarray(box_rule.boxes(cam)).reshape(-1, 4)
    gt_boxes = None
    if 'gt_bboxes' in sample:
        gt_boxes = sample.gt_bboxes.detach().cpu().numpy().reshape(-1, 4)
    pred_label = sample.pred_label
    pred = int(pred_label[0]) if pred_label.dim() else int(pred_label)
    score = float(sample.pred_score[pred])
    iou = sample_iou(boxes, gt_boxes)
    texts = [f'pred: {_class_name(classes, pred)} ({score:.2f})']
    if label >= 0:
        texts.insert(0, f'GT: {_class_name(classes, label)}')
    if not math.isnan(iou):
        texts.append(f'IoU: {iou:.2f}')
    name = sample.get('img_id', None) or sample.get('img_path', None)
    index = sample.get('sample_idx', None)
    return SampleView(
        index=-1 if index is None else int(index),
        stem=safe_stem(name, fallback_stem) if name else fallback_stem,
        image=image,
        cam=cam,
        pred_boxes=boxes,
        gt_boxes=gt_boxes,
        label=label,
        pred=pred,
        score=score,
        iou=iou,
        texts=texts,
    )
