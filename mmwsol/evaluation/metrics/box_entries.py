"""The compact per-sample entries of :class:`~mmwsol.evaluation.WSOLMetric`.

``WSOLMetric.process`` keeps one small dict per sample, never its map, so
that the entries gathered from the ranks give exactly the single-process
result. An entry holds:

- ``gt_rank``: rank of the GT class among the scores (0 = top prediction),
  None without class scores; ``num_classes``: the number of scores.
- ``box_correct``: the correctness of the MaxBoxAcc sweep, bool
  ``(len(iou_rows), len(thresholds))`` packed to bits along the CAM
  thresholds (``np.packbits``). The rows are the IoU thresholds of
  MaxBoxAcc, then the localization IoU when the fixed-threshold box rule
  shares the sweep's box mode and that IoU is not among them (see
  :func:`entry_rows`).
- ``loc_correct``: only when the fixed-threshold box rule has its own box
  mode: its correctness at the localization IoU, bool
  ``(len(thresholds), )`` packed to bits.
- ``fixed_correct``: whether the box of the fixed-threshold rule reaches
  the localization IoU (GT-known Loc).
- ``loc_error``: with the error analysis, SPA's error case of that box.
- ``invalid_map`` / ``gt_off_map``: the sample's short name when its map is
  invalid / when every GT box lies off the map, else None.

An image whose GT boxes all lie off the map is a miss at every threshold.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log

from ..box_rule import BoxRule
from ..functional import (
    LOC_OTHER,
    best_box,
    box_correctness,
    box_iou,
    localization_error,
)


def entry_rows(
    iou_thresholds: Sequence[float],
    loc_iou_threshold: float,
    same_box_mode: bool,
) -> Tuple[List[float], Optional[int]]:
    """The IoU rows of ``box_correct`` and the localization IoU's row.

    Args:
        iou_thresholds (Sequence[float]): IoU thresholds of MaxBoxAcc.
        loc_iou_threshold (float): IoU threshold of the fixed-threshold
            numbers.
        same_box_mode (bool): Whether the fixed-threshold box rule has the
            box mode of the MaxBoxAcc sweep.

    Returns:
        tuple: The IoU rows, and the index of the localization IoU among
        them (None when the box rule has its own box mode: its row is then
        stored apart, as ``loc_correct``).
    """
    rows = list(iou_thresholds)
    if not same_box_mode:
        return rows, None
    if loc_iou_threshold not in rows:
        rows.append(loc_iou_threshold)
    return rows, rows.index(loc_iou_threshold)


def localization_entry(
    cam: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: np.ndarray,
    iou_rows: Sequence[float],
    loc_row: Optional[int],
    box_mode: str,
    box_rule: BoxRule,
    loc_iou_threshold: float,
    error_analysis: bool,
) -> Dict[str, object]:
    """The packed correctness bits and the fixed-threshold results.

    Args:
        cam (np.ndarray): The map of the GT class, (H, W) in ``[0, 1]``.
        gt_boxes (np.ndarray): GT boxes on the map, (N, 4); empty when all
            of them lie off the map.
        thresholds (np.ndarray): The CAM thresholds.
        iou_rows (Sequence[float]): IoU thresholds (percent) of the rows,
            see :func:`entry_rows`.
        loc_row (int, optional): Row of the localization IoU, None when the
            box rule has its own box mode.
        box_mode (str): Box mode of the MaxBoxAcc sweep.
        box_rule (BoxRule): The fixed-threshold box rule.
        loc_iou_threshold (float): IoU threshold (percent) of the
            fixed-threshold numbers.
        error_analysis (bool): Whether to add SPA's error case.

    Returns:
        dict: ``box_correct``, ``fixed_correct``, and ``loc_correct`` /
        ``loc_error`` when asked for.
    """
    loc_iou = loc_iou_threshold / 100
    if len(gt_boxes) == 0:  # every GT box lies off the map: a miss
        no_bits = np.zeros((len(iou_rows), len(thresholds)), dtype=bool)
        entry = dict(
            box_correct=np.packbits(no_bits, axis=-1), fixed_correct=False
        )
        if loc_row is None:
            entry['loc_correct'] = np.packbits(no_bits[0], axis=-1)
        if error_analysis:
            entry['loc_error'] = LOC_OTHER
        return entry
    correct = box_correctness(cam, gt_boxes, thresholds, iou_rows, box_mode)
    fixed_boxes = box_rule.boxes(cam)
    fixed_iou = float(box_iou(fixed_boxes, gt_boxes).max())
    entry = dict(
        box_correct=np.packbits(correct, axis=-1),
        fixed_correct=bool(fixed_iou >= loc_iou),
    )
    if loc_row is None:
        loc_correct = box_correctness(
            cam, gt_boxes, thresholds, [loc_iou_threshold], box_rule.box_mode
        )[0]
        entry['loc_correct'] = np.packbits(loc_correct, axis=-1)
    if error_analysis:
        entry['loc_error'] = localization_error(
            best_box(fixed_boxes, gt_boxes), gt_boxes, loc_iou
        )
    return entry


def unpack_bits(bits: np.ndarray, num_thresholds: int) -> np.ndarray:
    """Unpack correctness bits to bool ``(..., num_thresholds)``."""
    unpacked = np.unpackbits(bits, axis=-1, count=num_thresholds)
    return unpacked.astype(bool)


def read_entries(
    results: Sequence[dict], num_thresholds: int, loc_row: Optional[int]
) -> Dict[str, object]:
    """Stack the gathered entries into the arrays of the summary.

    Args:
        results (Sequence[dict]): The entries of all ranks.
        num_thresholds (int): Number of CAM thresholds.
        loc_row (int, optional): Row of the localization IoU in
            ``box_correct``, None when the entries hold ``loc_correct``.

    Returns:
        dict: ``ranks`` (int64 (N, ), None without class scores),
        ``num_classes`` (the smallest; 0 without scores), ``correct`` (bool
        (N, n_rows, n_thr)), ``loc_correct`` (bool (N, n_thr)) and
        ``fixed`` (bool (N, )).

    Raises:
        ValueError: When some entries have class scores and some not.
    """
    with_scores = [r['gt_rank'] is not None for r in results]
    if any(with_scores) and not all(with_scores):
        raise ValueError(
            f'WSOLMetric got {sum(with_scores)} samples with '
            f"'pred_score' and {len(results) - sum(with_scores)} without; "
            'evaluate either all samples with class scores or all '
            'without (localization only).'
        )
    ranks = None
    num_classes = 0
    if all(with_scores):
        ranks = np.array([r['gt_rank'] for r in results], dtype=np.int64)
        num_classes = min(r['num_classes'] for r in results)
    correct = np.stack(
        [unpack_bits(r['box_correct'], num_thresholds) for r in results]
    )
    if loc_row is None:
        loc_correct = np.stack(
            [unpack_bits(r['loc_correct'], num_thresholds) for r in results]
        )
    else:
        loc_correct = correct[:, loc_row]
    fixed = np.array([r['fixed_correct'] for r in results], dtype=bool)
    return dict(
        ranks=ranks,
        num_classes=num_classes,
        correct=correct,
        loc_correct=loc_correct,
        fixed=fixed,
    )


def warn_off_map(names: Sequence[Optional[str]]) -> None:
    """Warn about images whose GT boxes the test pipeline cropped away."""
    off = [n for n in names if n is not None]
    if off:
        print_log(
            f'WSOLMetric: for {len(off)} of {len(names)} images every GT box '
            'lies outside the crop of the test pipeline; they count as not '
            f'localized: {", ".join(off[:5])}'
            f'{" ..." if len(off) > 5 else ""}.',
            logger='current',
            level=30,
        )  # logging.WARNING
