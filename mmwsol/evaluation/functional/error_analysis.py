"""SPA's localization error analysis (Pan et al., CVPR 2021).

The appendix of "Unveiling the Potential of Structure Preserving for Weakly
Supervised Object Localization" sorts every image into one of five
mutually exclusive error cases, or none (Algorithm 1):

1. ``Cls``: the top-1 predicted class is not the GT class.
2. correct: the best IoU between the predicted box and the GT boxes is
   ``> 0.5``.
3. ``M-Ins`` (multi-instance): the predicted box covers more than 0.3 of
   at least two GT boxes (``Count(IoG > 0.3) > 1``).
4. ``Part``: the largest IoP (intersection over the *predicted* box) is
   ``> 0.5``: the box mostly lies on the object but covers only a part.
5. ``More``: the largest IoG (intersection over the *GT* box) is ``> 0.7``:
   the box covers the object and much more.
6. ``OT`` (other): everything else.

The functions here implement the steps after the classification one; the
classification step needs the class scores and is applied by the metric.
Areas use the inclusive +1 pixel convention of the box IoU.
"""

from typing import Dict, Optional, Tuple

import numpy as np

from .iou import box_iou

#: Localization outcome codes of :func:`localization_error`.
LOC_CORRECT = 0
LOC_MULTI_INSTANCE = 1
LOC_PART = 2
LOC_MORE = 3
LOC_OTHER = 4
#: Names of the localization error cases, by code (1..4).
LOC_ERROR_NAMES = {
    LOC_MULTI_INSTANCE: 'multi_instance',
    LOC_PART: 'part',
    LOC_MORE: 'more',
    LOC_OTHER: 'other',
}


def box_overlaps(
    pred_box: np.ndarray, gt_boxes: np.ndarray
) -> Tuple[np.ndarray, ...]:
    """IoU, IoG and IoP of one predicted box against each GT box.

    Args:
        pred_box (np.ndarray): ``[x0, y0, x1, y1]``.
        gt_boxes (np.ndarray): (G, 4) GT boxes.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: float64 (G, ) IoU,
        intersection over the GT box's area and intersection over the
        predicted box's area (0 where an area is not positive).
    """
    pred = np.asarray(pred_box, dtype=np.int64).reshape(4)
    gts = np.asarray(gt_boxes, dtype=np.int64).reshape(-1, 4)
    inter_w = np.maximum(
        0, np.minimum(pred[2], gts[:, 2]) - np.maximum(pred[0], gts[:, 0]) + 1
    )
    inter_h = np.maximum(
        0, np.minimum(pred[3], gts[:, 3]) - np.maximum(pred[1], gts[:, 1]) + 1
    )
    inter = (inter_w * inter_h).astype(np.float64)
    pred_area = float((pred[2] - pred[0] + 1) * (pred[3] - pred[1] + 1))
    gt_area = (
        (gts[:, 2] - gts[:, 0] + 1) * (gts[:, 3] - gts[:, 1] + 1)
    ).astype(np.float64)
    iou = box_iou(pred[None], gts)[0]
    iog = np.divide(
        inter, gt_area, out=np.zeros_like(inter), where=gt_area > 0
    )
    iop = inter / pred_area if pred_area > 0 else np.zeros_like(inter)
    return iou, iog, iop


def localization_error(
    pred_box: np.ndarray, gt_boxes: np.ndarray, iou_threshold: float = 0.5
) -> int:
    """The localization case of a correctly classified image.

    Steps 6-24 of SPA's Algorithm 1, thresholds as in the paper (strict
    comparisons): correct if ``max IoU > iou_threshold``, else M-Ins if
    ``IoG > 0.3`` for more than one GT box, else Part if ``max IoP > 0.5``,
    else More if ``max IoG > 0.7``, else Other. The maxima are taken over
    the GT boxes, each on its own.

    Args:
        pred_box (np.ndarray): ``[x0, y0, x1, y1]``, the predicted box.
        gt_boxes (np.ndarray): (G, 4) GT boxes, G >= 1.
        iou_threshold (float): IoU (fraction) above which the box is
            correct. Defaults to 0.5.

    Returns:
        int: :data:`LOC_CORRECT`, :data:`LOC_MULTI_INSTANCE`,
        :data:`LOC_PART`, :data:`LOC_MORE` or :data:`LOC_OTHER`.
    """
    iou, iog, iop = box_overlaps(pred_box, gt_boxes)
    if iou.size == 0:
        raise ValueError('At least one GT box is needed.')
    if iou.max() > iou_threshold:
        return LOC_CORRECT
    if np.count_nonzero(iog > 0.3) > 1:
        return LOC_MULTI_INSTANCE
    if iop.max() > 0.5:
        return LOC_PART
    if iog.max() > 0.7:
        return LOC_MORE
    return LOC_OTHER


def best_box(boxes: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """The box with the best IoU against any GT box (the first on ties).

    Algorithm 1 takes one predicted box; with several boxes per image
    (box mode ``'all'``) this is the one that reaches the image's IoU.

    Args:
        boxes (np.ndarray): (n, 4) predicted boxes, n >= 1.
        gt_boxes (np.ndarray): (G, 4) GT boxes, G >= 1.

    Returns:
        np.ndarray: The chosen box, shape (4, ).
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    return boxes[int(np.argmax(box_iou(boxes, gt_boxes).max(axis=1)))]


def error_rates(
    loc_errors: np.ndarray, top1_correct: Optional[np.ndarray] = None
) -> Dict[str, float]:
    """Percentages of the images in each error case.

    Args:
        loc_errors (np.ndarray): (N, ) :func:`localization_error` code of
            each image (of its GT-class map).
        top1_correct (np.ndarray, optional): (N, ) whether the top-1 class
            is the GT class. With it, misclassified images count as ``cls``
            whatever their box; without it (no class scores) the analysis
            is GT-known and there is no ``cls`` case. Defaults to None.

    Returns:
        dict[str, float]: ``cls`` (with ``top1_correct`` only),
        ``multi_instance``, ``part``, ``more`` and ``other``, in percent of
        the N images.
    """
    loc_errors = np.asarray(loc_errors).reshape(-1)
    num = loc_errors.size
    if num == 0:
        raise ValueError('No image to analyse.')
    classified = np.ones(num, dtype=bool)
    rates = {}
    if top1_correct is not None:
        classified = np.asarray(top1_correct, dtype=bool).reshape(-1)
        rates['cls'] = float(np.count_nonzero(~classified) * 100.0 / num)
    for code, name in LOC_ERROR_NAMES.items():
        rates[name] = float(
            np.count_nonzero(classified & (loc_errors == code)) * 100.0 / num
        )
    return rates
