"""Per-image box correctness over CAM thresholds and IoU thresholds."""
from typing import Dict, Sequence

import numpy as np

from .boxes import (boxes_at_level, fixed_threshold_level, scoremap_to_uint8,
                    threshold_levels)
from .iou import box_iou


def _check_gt_boxes(gt_boxes: np.ndarray) -> np.ndarray:
    gt_boxes = np.asarray(gt_boxes).reshape(-1, 4)
    if len(gt_boxes) == 0:
        raise ValueError('At least one GT box is needed.')
    return gt_boxes


def iou_thresholds_as_fraction(iou_thresholds: Sequence[float]) -> np.ndarray:
    """IoU thresholds given in percent as fractions (``δ / 100``).

    Args:
        iou_thresholds (Sequence[float]): IoU thresholds in percent,
            e.g. ``(30, 50, 70)``.

    Returns:
        np.ndarray: float64 array ``δ / 100``.
    """
    return np.asarray(iou_thresholds, dtype=np.float64).reshape(-1) / 100


def best_iou_curve(scoremap: np.ndarray,
                   gt_boxes: np.ndarray,
                   thresholds: Sequence[float],
                   mode: str = 'all') -> np.ndarray:
    """Best IoU of the boxes of a score map at each CAM threshold.

    At each threshold the boxes are extracted as in
    :func:`~mmwsol.evaluation.functional.boxes_at_thresholds` and the best
    IoU over all (box, GT box) pairs is kept. Thresholds that share the
    level ``int(t * u8.max())`` share their result.

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        gt_boxes (np.ndarray): GT boxes of shape (n, 4), n >= 1, in the
            coordinates of the score map.
        thresholds (Sequence[float]): The CAM thresholds.
        mode (str): ``'all'`` or ``'largest'``. Defaults to 'all'.

    Returns:
        np.ndarray: float64 array of shape (n_thresholds, ).
    """
    gt_boxes = _check_gt_boxes(gt_boxes)
    scoremap_u8 = scoremap_to_uint8(scoremap)
    levels = threshold_levels(scoremap_u8, thresholds)
    unique_levels, inverse = np.unique(levels, return_inverse=True)
    best = np.empty(len(unique_levels), dtype=np.float64)
    for i, level in enumerate(unique_levels.tolist()):
        boxes = boxes_at_level(scoremap_u8, level, mode)
        best[i] = box_iou(boxes, gt_boxes).max()
    return best[inverse.reshape(-1)]


def box_correctness(scoremap: np.ndarray,
                    gt_boxes: np.ndarray,
                    thresholds: Sequence[float],
                    iou_thresholds: Sequence[float] = (30, 50, 70),
                    mode: str = 'all') -> np.ndarray:
    """Whether the boxes of a score map localise a GT box, per threshold.

    The image is correct at IoU threshold ``δ`` and CAM threshold ``t`` if
    the best IoU between any of its boxes at ``t`` and any GT box is
    ``>= δ / 100``.

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        gt_boxes (np.ndarray): GT boxes of shape (n, 4), n >= 1, in the
            coordinates of the score map.
        thresholds (Sequence[float]): The CAM thresholds.
        iou_thresholds (Sequence[float]): IoU thresholds in percent.
            Defaults to (30, 50, 70).
        mode (str): ``'all'`` (MaxBoxAccV2) or ``'largest'`` (MaxBoxAcc).
            Defaults to 'all'.

    Returns:
        np.ndarray: bool array of shape (n_iou, n_thresholds).
    """
    best = best_iou_curve(scoremap, gt_boxes, thresholds, mode)
    fractions = iou_thresholds_as_fraction(iou_thresholds)
    return best[None, :] >= fractions[:, None]


def fixed_threshold_iou(scoremap: np.ndarray,
                        gt_boxes: np.ndarray,
                        threshold: float = 0.2,
                        standard: str = 'max',
                        percentile: float = 90,
                        mode: str = 'all') -> float:
    """Best IoU of the boxes of a score map at one fixed threshold.

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        gt_boxes (np.ndarray): GT boxes of shape (n, 4), n >= 1, in the
            coordinates of the score map.
        threshold (float): The threshold ``θ``. Defaults to 0.2.
        standard (str): ``'max'`` or ``'percentile'``, see
            :func:`~mmwsol.evaluation.functional.fixed_threshold_level`.
            Defaults to 'max'.
        percentile (float): Percentile of the ``'percentile'`` standard.
            Defaults to 90.
        mode (str): ``'all'`` or ``'largest'``. Defaults to 'all'.

    Returns:
        float: The best IoU over all (box, GT box) pairs.
    """
    gt_boxes = _check_gt_boxes(gt_boxes)
    scoremap_u8 = scoremap_to_uint8(scoremap)
    level = fixed_threshold_level(scoremap_u8, threshold, standard, percentile)
    boxes = boxes_at_level(scoremap_u8, level, mode)
    return float(box_iou(boxes, gt_boxes).max())


def accuracy_curves(correct: np.ndarray) -> np.ndarray:
    """Accuracy in percent per IoU threshold and CAM threshold.

    Args:
        correct (np.ndarray): bool array of shape (N, n_iou, n_thresholds),
            one :func:`box_correctness` result per image.

    Returns:
        np.ndarray: float64 array of shape (n_iou, n_thresholds),
        ``count * 100 / N``.
    """
    correct = np.asarray(correct, dtype=bool)
    if correct.ndim != 3 or correct.shape[0] == 0:
        raise ValueError('Expected a non-empty (N, n_iou, n_thresholds) '
                         f'array, got shape {correct.shape}.')
    counts = correct.sum(axis=0).astype(np.float64)
    return counts * 100. / float(correct.shape[0])


def max_box_accuracy(correct: np.ndarray,
                     thresholds: Sequence[float]) -> Dict[str, np.ndarray]:
    """MaxBoxAcc per IoU threshold and the CAM threshold that reaches it.

    Args:
        correct (np.ndarray): bool array of shape (N, n_iou, n_thresholds).
        thresholds (Sequence[float]): The CAM thresholds.

    Returns:
        dict: ``accuracy`` (n_iou, n_thresholds) curves in percent,
        ``max_accuracy`` (n_iou, ) their maxima, ``best_index`` (n_iou, ) the
        first (smallest) threshold index reaching the maximum and
        ``best_threshold`` (n_iou, ) that threshold.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    curves = accuracy_curves(correct)
    if curves.shape[1] != len(thresholds):
        raise ValueError(f'{curves.shape[1]} thresholds in `correct` but '
                         f'{len(thresholds)} given.')
    best_index = curves.argmax(axis=1)
    return dict(
        accuracy=curves,
        max_accuracy=curves.max(axis=1),
        best_index=best_index,
        best_threshold=thresholds[best_index])
