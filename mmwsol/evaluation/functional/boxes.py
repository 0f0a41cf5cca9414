"""Boxes from score maps, the way the community WSOL evaluator draws them.

Every function here is pure numpy/OpenCV and follows the box protocol of
`wsolevaluation <https://github.com/clovaai/wsolevaluation>`_ (Choe et al.,
CVPR 2020):

1. The score map (values in ``[0, 1]``) is turned into an 8-bit image with
   truncation: ``u8 = uint8(map * 255)``.
2. At a CAM threshold ``t`` the integer level ``int(t * u8.max())`` is taken
   and the foreground is ``u8 > level``.
3. The contours of the foreground are found with
   ``cv2.findContours(fg, RETR_TREE, CHAIN_APPROX_SIMPLE)``; each contour gives
   the box ``[x, y, x + w, y + h]`` of its bounding rectangle ``(x, y, w, h)``
   with ``x + w`` clipped to ``W - 1`` and ``y + h`` to ``H - 1``.
4. Without any contour the box is ``[0, 0, 0, 0]``.
5. Mode ``'all'`` (MaxBoxAccV2) keeps the boxes of all contours, including
   the contours of holes that ``RETR_TREE`` returns; mode ``'largest'``
   (MaxBoxAcc, V1) keeps the contour with the largest ``cv2.contourArea``
   (the first one on ties); mode ``'union'`` (SPA's evaluation) keeps one
   box around the whole foreground, the bounding rect of all contours
   together.

One level is drawn with OpenCV (:func:`boxes_at_level`); over many
thresholds :func:`boxes_at_thresholds` draws each distinct level once (and
mode ``'union'`` reads every level from the row and column maxima of the
map, :func:`union_boxes_at_levels`). The accuracy curves do not need the
boxes themselves: :mod:`~mmwsol.evaluation.functional.level_sets` gives
the best IoU of every level at once.
"""

from typing import List, Sequence

import cv2
import numpy as np

#: Box modes: every contour (MaxBoxAccV2), the largest contour (MaxBoxAcc),
#: one box around the whole foreground (SPA).
BOX_MODES = ('all', 'largest', 'union')
THRESHOLD_STANDARDS = ('max', 'percentile')


def cam_thresholds(interval: float = 0.01) -> np.ndarray:
    """The CAM thresholds of the box accuracy curve.

    Args:
        interval (float): Step between two thresholds. Defaults to 0.01
            (the reference training script uses 0.001 at its final test).

    Returns:
        np.ndarray: ``np.arange(0, 1, interval)`` (float64).
    """
    if not 0 < interval < 1:
        raise ValueError(
            f'The CAM curve interval must be in (0, 1), got {interval}.'
        )
    return np.arange(0, 1, interval)


def scoremap_to_uint8(scoremap: np.ndarray) -> np.ndarray:
    """Turn a score map in ``[0, 1]`` into the 8-bit map boxes are cut from.

    The map is cast to float64 first (the reference evaluator works on
    float64 maps), multiplied by 255 and truncated to ``uint8``. NaN values
    are read as 0, so an all-NaN map is an empty prediction.

    Args:
        scoremap (np.ndarray): The score map of shape (H, W), values in
            ``[0, 1]``.

    Returns:
        np.ndarray: uint8 array of shape (H, W).
    """
    scoremap = np.asarray(scoremap, dtype=np.float64)
    if scoremap.ndim != 2:
        raise ValueError(
            f'A score map must be 2-D, got shape {scoremap.shape}.'
        )
    scoremap = np.nan_to_num(scoremap, nan=0.0, posinf=np.inf, neginf=-np.inf)
    if scoremap.size and (scoremap.min() < 0 or scoremap.max() > 1):
        raise ValueError(
            'A score map must have values in [0, 1], got the '
            f'range [{scoremap.min()}, {scoremap.max()}].'
        )
    return (scoremap * 255).astype(np.uint8)


def threshold_levels(
    scoremap_u8: np.ndarray, thresholds: Sequence[float]
) -> np.ndarray:
    """The integer binarisation levels ``int(t * u8.max())`` of thresholds.

    Args:
        scoremap_u8 (np.ndarray): The uint8 map (see
            :func:`scoremap_to_uint8`).
        thresholds (Sequence[float]): Non-negative CAM thresholds.

    Returns:
        np.ndarray: int64 levels, one per threshold; the foreground at a
        threshold is ``scoremap_u8 > level``.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if (thresholds < 0).any():
        raise ValueError('CAM thresholds must be non-negative.')
    max_value = int(scoremap_u8.max()) if scoremap_u8.size else 0
    # truncation == floor for non-negative values
    return np.floor(thresholds * max_value).astype(np.int64)


def fixed_threshold_level(
    scoremap_u8: np.ndarray,
    threshold: float,
    standard: str = 'max',
    percentile: float = 90,
) -> int:
    """The binarisation level of one fixed threshold.

    Args:
        scoremap_u8 (np.ndarray): The uint8 map (see
            :func:`scoremap_to_uint8`).
        threshold (float): The threshold ``θ`` (relative to the standard).
        standard (str): ``'max'``: level ``int(θ * u8.max())`` (the usual
            CAM protocol); ``'percentile'``: level
            ``int(θ * np.percentile(u8, percentile))`` (PaS, Rethinking CAM,
            ECCV 2020, whose code thresholds the same uint8 map with
            ``cv2.THRESH_BINARY``, i.e. foreground ``u8 > level``).
            Defaults to 'max'.
        percentile (float): The percentile ``i`` of the ``'percentile'``
            standard (``np.percentile`` with linear interpolation).
            Defaults to 90.

    Returns:
        int: The level; the foreground is ``scoremap_u8 > level``.
    """
    if standard not in THRESHOLD_STANDARDS:
        raise ValueError(
            f'Unknown threshold standard {standard!r}, choose '
            f'from {THRESHOLD_STANDARDS}.'
        )
    if threshold < 0:
        raise ValueError(
            f'The threshold must be non-negative, got {threshold}.'
        )
    if not scoremap_u8.size:
        return 0
    if standard == 'max':
        reference = int(scoremap_u8.max())
    else:
        reference = float(np.percentile(scoremap_u8, percentile))
    return int(threshold * reference)


def boxes_from_foreground(
    foreground: np.ndarray, mode: str = 'all'
) -> np.ndarray:
    """Boxes of the contours of a binary foreground.

    Args:
        foreground (np.ndarray): bool (or 0/non-0) array of shape (H, W).
        mode (str): ``'all'`` keeps a box per contour (hole contours
            included); ``'largest'`` keeps the contour of largest
            ``cv2.contourArea`` (the first one on ties); ``'union'`` keeps
            one box around all foreground pixels, the bounding rect of all
            contours together ``[x_min, y_min, x_max + 1, y_max + 1]``
            clipped like the others. Defaults to 'all'.

    Returns:
        np.ndarray: int64 boxes ``[x0, y0, x1, y1]`` of shape (n, 4), n >= 1;
        ``[[0, 0, 0, 0]]`` when there is no contour (empty foreground).
    """
    if mode not in BOX_MODES:
        raise ValueError(
            f'Unknown box mode {mode!r}, choose from {BOX_MODES}.'
        )
    height, width = foreground.shape
    image = np.ascontiguousarray(foreground, dtype=np.uint8)
    if mode == 'union':
        # the bounding rect of the non-zero pixels
        x, y, w, h = cv2.boundingRect(image)
        if w == 0:
            return np.zeros((1, 4), dtype=np.int64)
        return np.array(
            [[x, y, min(x + w, width - 1), min(y + h, height - 1)]],
            dtype=np.int64,
        )
    # OpenCV 3 returns (image, contours, hierarchy), 4 and 5 return
    # (contours, hierarchy).
    contours = cv2.findContours(image, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[
        -2
    ]
    if len(contours) == 0:
        return np.zeros((1, 4), dtype=np.int64)
    if mode == 'largest':
        areas = [cv2.contourArea(contour) for contour in contours]
        contours = [contours[int(np.argmax(areas))]]
    rects = np.array(
        [cv2.boundingRect(contour) for contour in contours], dtype=np.int64
    ).reshape(-1, 4)
    boxes = np.empty_like(rects)
    boxes[:, 0] = rects[:, 0]
    boxes[:, 1] = rects[:, 1]
    boxes[:, 2] = np.minimum(rects[:, 0] + rects[:, 2], width - 1)
    boxes[:, 3] = np.minimum(rects[:, 1] + rects[:, 3], height - 1)
    return boxes


def boxes_at_level(
    scoremap_u8: np.ndarray, level: int, mode: str = 'all'
) -> np.ndarray:
    """Boxes of the foreground ``scoremap_u8 > level``.

    Args:
        scoremap_u8 (np.ndarray): The uint8 map of shape (H, W).
        level (int): The integer binarisation level.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``, see
            :func:`boxes_from_foreground`. Defaults to 'all'.

    Returns:
        np.ndarray: int64 boxes of shape (n, 4).
    """
    if not 0 <= level < 255:
        return boxes_from_foreground(scoremap_u8 > level, mode)
    # cv2.threshold writes the uint8 foreground directly (u8 > level)
    _, foreground = cv2.threshold(
        np.ascontiguousarray(scoremap_u8, dtype=np.uint8),
        int(level),
        1,
        cv2.THRESH_BINARY,
    )
    return boxes_from_foreground(foreground, mode)


def union_boxes_at_levels(
    scoremap_u8: np.ndarray, levels: Sequence[int]
) -> np.ndarray:
    """Box of mode ``'union'`` of ``scoremap_u8 > level`` for many levels.

    The foreground at a level holds a pixel of row ``y`` exactly when the
    row's maximum is above the level (likewise for columns), so the first
    and last such rows and columns bound it: the bounding rect
    ``[x_min, y_min, x_max + 1, y_max + 1]`` of
    :func:`boxes_from_foreground`, clipped the same way.

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        levels (Sequence[int]): Integer levels.

    Returns:
        np.ndarray: int64 (n_levels, 4); ``[0, 0, 0, 0]`` for a level at or
        above the map's maximum (an empty foreground).
    """
    levels = np.asarray(levels, dtype=np.int64).reshape(-1)
    boxes = np.zeros((levels.size, 4), dtype=np.int64)
    if not scoremap_u8.size:
        return boxes
    height, width = scoremap_u8.shape
    rows = scoremap_u8.max(axis=1).astype(np.int64)[None, :] > levels[:, None]
    cols = scoremap_u8.max(axis=0).astype(np.int64)[None, :] > levels[:, None]
    found = rows.any(axis=1)
    rows, cols = rows[found], cols[found]
    boxes[found, 0] = cols.argmax(axis=1)
    boxes[found, 1] = rows.argmax(axis=1)
    boxes[found, 2] = np.minimum(
        width - cols[:, ::-1].argmax(axis=1), width - 1
    )
    boxes[found, 3] = np.minimum(
        height - rows[:, ::-1].argmax(axis=1), height - 1
    )
    return boxes


def boxes_at_thresholds(
    scoremap: np.ndarray, thresholds: Sequence[float], mode: str = 'all'
) -> List[np.ndarray]:
    """Boxes of a score map at each CAM threshold (max standard).

    Each distinct level is drawn once with :func:`boxes_at_level` (mode
    ``'union'``: all at once by :func:`union_boxes_at_levels`).

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        thresholds (Sequence[float]): The CAM thresholds.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.

    Returns:
        list[np.ndarray]: One (n_i, 4) int64 box array per threshold.
    """
    if mode not in BOX_MODES:
        raise ValueError(
            f'Unknown box mode {mode!r}, choose from {BOX_MODES}.'
        )
    scoremap_u8 = scoremap_to_uint8(scoremap)
    levels = threshold_levels(scoremap_u8, thresholds)
    unique, inverse = np.unique(levels, return_inverse=True)
    if mode == 'union':
        per_level = list(union_boxes_at_levels(scoremap_u8, unique)[:, None])
    else:
        per_level = [
            boxes_at_level(scoremap_u8, level, mode)
            for level in unique.tolist()
        ]
    return [per_level[i].copy() for i in inverse.reshape(-1).tolist()]


def fixed_threshold_boxes(
    scoremap: np.ndarray,
    threshold: float = 0.2,
    standard: str = 'max',
    percentile: float = 90,
    mode: str = 'all',
) -> np.ndarray:
    """Boxes of a score map at one fixed threshold.

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        threshold (float): The threshold ``θ``. Defaults to 0.2.
        standard (str): ``'max'`` or ``'percentile'``, see
            :func:`fixed_threshold_level`. Defaults to 'max'.
        percentile (float): Percentile of the ``'percentile'`` standard.
            Defaults to 90.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.

    Returns:
        np.ndarray: int64 boxes of shape (n, 4).
    """
    scoremap_u8 = scoremap_to_uint8(scoremap)
    level = fixed_threshold_level(scoremap_u8, threshold, standard, percentile)
    return boxes_at_level(scoremap_u8, level, mode)
