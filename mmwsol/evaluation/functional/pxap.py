"""Pixel-level WSOL metrics: PxAP and peak IoU (community protocol)."""

from typing import Dict, Tuple

import numpy as np

MASK_FOREGROUND = 1
MASK_BACKGROUND = 0
MASK_IGNORE = 255


def pixel_histogram_edges(thresholds: np.ndarray) -> np.ndarray:
    """Histogram edges of the protocol: the thresholds, then 1, 2 and 3.

    Args:
        thresholds (np.ndarray): Increasing thresholds starting at 0, e.g.
            ``np.arange(0, 1, 0.01)``.

    Returns:
        np.ndarray: ``len(thresholds) + 3`` edges, so histograms have
        ``len(thresholds) + 2`` bins.
    """
    return np.append(np.asarray(thresholds, dtype=np.float64), [1.0, 2.0, 3.0])


def mask_score_histograms(
    scoremap: np.ndarray, gt_mask: np.ndarray, edges: np.ndarray
) -> Tuple[np.ndarray, np.ndarray]:
    """Histogram the scores of the foreground and background pixels.

    Args:
        scoremap (np.ndarray): ``(H, W)`` map in ``[0, 1]``.
        gt_mask (np.ndarray): ``(H, W)`` uint8 mask: 1 foreground,
            0 background, 255 ignore (ignore pixels count in neither).
        edges (np.ndarray): Edges from :func:`pixel_histogram_edges`.

    Returns:
        tuple[np.ndarray, np.ndarray]: Foreground and background counts per
        bin (int64).
    """
    scoremap = np.asarray(scoremap)
    gt_mask = np.asarray(gt_mask)
    if scoremap.shape != gt_mask.shape:
        raise ValueError(
            f'score map shape {scoremap.shape} differs from the '
            f'mask shape {gt_mask.shape}'
        )
    fg, _ = np.histogram(scoremap[gt_mask == MASK_FOREGROUND], bins=edges)
    bg, _ = np.histogram(scoremap[gt_mask == MASK_BACKGROUND], bins=edges)
    return fg.astype(np.int64), bg.astype(np.int64)


def pixel_curves(
    fg_hist: np.ndarray, bg_hist: np.ndarray
) -> Dict[str, np.ndarray]:
    """Turn summed histograms into tp/fp/fn, precision and recall curves.

    Index ``i`` of each curve counts the pixels in the ``i + 1`` highest
    bins, i.e. with a score ``>= edges[-2 - i]``.

    Args:
        fg_hist (np.ndarray): Summed foreground histogram.
        bg_hist (np.ndarray): Summed background histogram.

    Returns:
        dict: ``tp``, ``fp``, ``fn``, ``precision`` (NaN where nothing is
        predicted) and ``recall`` arrays.
    """
    fg_hist = np.asarray(fg_hist, dtype=np.float64)
    bg_hist = np.asarray(bg_hist, dtype=np.float64)
    num_fg = fg_hist.sum()
    if num_fg <= 0:
        raise ValueError(
            'No positive (foreground) ground-truth pixel in the '
            'evaluation set: PxAP is undefined.'
        )
    tp = fg_hist[::-1].cumsum()
    fp = bg_hist[::-1].cumsum()
    fn = num_fg - tp
    with np.errstate(invalid='ignore', divide='ignore'):
        precision = tp / (tp + fp)
    recall = tp / num_fg
    return dict(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall)


def pxap_from_histograms(fg_hist: np.ndarray, bg_hist: np.ndarray) -> float:
    """Pixel average precision (PxAP, in percent) from summed histograms.

    ``sum_{i>=1} precision[i] * (recall[i] - recall[i-1])`` over the points
    where something is predicted (``tp + fp > 0``); the recall difference is
    taken before those points are dropped.

    Args:
        fg_hist (np.ndarray): Summed foreground histogram.
        bg_hist (np.ndarray): Summed background histogram.

    Returns:
        float: PxAP in ``[0, 100]``.
    """
    c = pixel_curves(fg_hist, bg_hist)
    prec = c['precision'][1:]
    terms = prec * np.diff(c['recall'])
    return float(terms[~np.isnan(prec)].sum() * 100)


def peak_iou_from_histograms(
    fg_hist: np.ndarray, bg_hist: np.ndarray, edges: np.ndarray
) -> Tuple[float, float]:
    """Peak IoU (pIoU, percent) over thresholds and the threshold reaching it.

    IoU at a threshold is ``tp / (tp + fp + fn)`` over the whole dataset,
    foreground being ``score >= threshold``. Only the real thresholds (not
    the extra 1/2/3 edges) are candidates.

    Args:
        fg_hist (np.ndarray): Summed foreground histogram.
        bg_hist (np.ndarray): Summed background histogram.
        edges (np.ndarray): The histogram edges.

    Returns:
        tuple[float, float]: pIoU in percent and its threshold (Peak-T).
    """
    c = pixel_curves(fg_hist, bg_hist)
    iou = c['tp'] / (c['tp'] + c['fp'] + c['fn'])
    # index i <-> threshold edges[len(edges) - 2 - i]
    thr = np.asarray(edges)[::-1][1:]
    real = thr < 1.0
    best = int(np.argmax(np.where(real, iou, -1.0)))
    return float(iou[best] * 100), float(thr[best])


def pixel_curves_at_thresholds(
    fg_hist: np.ndarray, bg_hist: np.ndarray, num_thresholds: int
) -> Dict[str, np.ndarray]:
    """Precision, recall and IoU at each CAM threshold, in threshold order.

    Entry ``j`` counts the pixels with a score ``>= thresholds[j]`` (the
    histogram bins from ``j`` on), so the curves run from the lowest
    threshold (everything predicted, recall 1) to the highest.

    Args:
        fg_hist (np.ndarray): Summed foreground histogram
            (``num_thresholds + 2`` bins).
        bg_hist (np.ndarray): Summed background histogram.
        num_thresholds (int): Number of real CAM thresholds.

    Returns:
        dict: float64 arrays of length ``num_thresholds``: ``precision``
        (NaN where nothing is predicted), ``recall`` and ``iou``
        (``tp / (tp + fp + fn)``), all fractions in ``[0, 1]``.
    """
    c = pixel_curves(fg_hist, bg_hist)
    if len(c['tp']) != num_thresholds + 2:
        raise ValueError(
            f'Histograms of {len(c["tp"])} bins do not belong '
            f'to {num_thresholds} thresholds (expected '
            f'{num_thresholds + 2} bins).'
        )
    # pixel_curves runs from the highest bin down; reverse it and drop the
    # two extra edges (scores >= 2 and >= 1)
    tp, fp, fn = (c[key][::-1][:num_thresholds] for key in ('tp', 'fp', 'fn'))
    with np.errstate(invalid='ignore', divide='ignore'):
        precision = tp / (tp + fp)
    return dict(
        precision=precision,
        recall=c['recall'][::-1][:num_thresholds],
        iou=tp / (tp + fp + fn),
    )
