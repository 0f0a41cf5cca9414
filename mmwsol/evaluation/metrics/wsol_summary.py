"""The WSOL box numbers from per-image results (used by WSOLMetric)."""

import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np

from ..functional import max_box_accuracy


def summarize(
    ranks: Optional[np.ndarray],
    num_classes: int,
    correct: np.ndarray,
    fixed_correct: np.ndarray,
    thresholds: np.ndarray,
    iou_thresholds: Sequence[float],
    loc_correct: np.ndarray,
    topk: Sequence[int],
    main_key: str,
) -> Dict[str, float]:
    """The WSOL numbers from per-image results.

    Args:
        ranks (np.ndarray, optional): Rank of the GT class among the scores
            (0 = top prediction), shape (N, ). None without class scores:
            then no classification or top-k number is reported.
        num_classes (int): Number of classes K (unused without ranks).
        correct (np.ndarray): Box correctness of the MaxBoxAcc box rule,
            bool (N, n_rows, n_thr); its first ``len(iou_thresholds)`` rows
            are the IoU thresholds of MaxBoxAcc.
        fixed_correct (np.ndarray): GT-known correctness at the fixed
            threshold, bool (N, ).
        thresholds (np.ndarray): The CAM thresholds.
        iou_thresholds (Sequence[float]): IoU thresholds of MaxBoxAcc.
        loc_correct (np.ndarray): Box correctness at the localization IoU
            with the box rule of the fixed-threshold numbers, bool
            (N, n_thr): ``gt_known_loc_best`` is its best accuracy over the
            CAM thresholds and ``top{k}_loc_best`` are taken at that
            threshold.
        topk (Sequence[int]): The k of the top-k numbers.
        main_key (str): The main key, e.g. ``'MaxBoxAccV2'``.

    Returns:
        dict[str, float]: The metrics in percent (thresholds as fractions).
    """
    num_images = len(correct)
    ks = [] if ranks is None else [k for k in topk if k <= num_classes]

    def percent(mask: np.ndarray) -> float:
        return float(np.count_nonzero(mask) * 100.0 / float(num_images))

    stats = max_box_accuracy(correct, thresholds)
    num_iou = len(iou_thresholds)
    # the main number comes first: ``CheckpointHook(save_best='auto')``
    # keeps the checkpoint that is best by the first key
    metrics: Dict[str, float] = {
        main_key: float(np.mean(stats['max_accuracy'][:num_iou]))
    }
    for k in ks:
        metrics[f'top{k}_cls'] = percent(ranks < k)
    metrics['gt_known_loc'] = percent(fixed_correct)
    for k in ks:
        metrics[f'top{k}_loc'] = percent(fixed_correct & (ranks < k))
    for i, iou in enumerate(iou_thresholds):
        metrics[f'{main_key}@{iou:g}'] = float(stats['max_accuracy'][i])
    for i, iou in enumerate(iou_thresholds):
        metrics[f'best_thr@{iou:g}'] = float(stats['best_threshold'][i])

    loc_stats = max_box_accuracy(loc_correct[:, None, :], thresholds)
    best = int(loc_stats['best_index'][0])
    metrics['gt_known_loc_best'] = float(loc_stats['max_accuracy'][0])
    best_correct = loc_correct[:, best]
    for k in ks:
        metrics[f'top{k}_loc_best'] = percent(best_correct & (ranks < k))
    return metrics


def write_json(path: str, data: dict) -> None:
    """Write ``data`` as JSON, creating the parent folder."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def gt_rank(scores: np.ndarray, label: int) -> int:
    """Rank of the GT class in the scores sorted in descending order.

    Ties are broken by the class index (the lower index ranks first, as
    ``argmax``), which makes the result deterministic.
    """
    order = np.argsort(-scores.astype(np.float64), kind='stable')
    return int(np.flatnonzero(order == label)[0])
