"""Best IoU of the boxes of many binarisation levels of a uint8 map at once.

The community protocol draws the boxes of a score map at a CAM threshold
with ``cv2.findContours(u8 > level, RETR_TREE, CHAIN_APPROX_SIMPLE)``. A
uint8 map has at most 255 distinct foregrounds ``u8 > level`` and they nest
(a lower level only adds pixels), so the boxes of every level can be read
from one pass over the pixels instead of tracing contours level by level.
The result is identical to the contour-based definition because the
contours OpenCV returns are fully determined by the digital topology of the
foreground (Suzuki & Abe, 1985; foreground 8-connected, background
4-connected, the image surrounded by background):

- every 8-connected foreground component has exactly one outer contour,
  which passes through the component's extreme pixels, so its bounding
  rectangle is the bounding box of the component's pixels;
- every 4-connected background component that does not reach the image
  border (a *hole*) has exactly one hole contour, traced on the foreground
  pixels around it; those pixels reach exactly one pixel beyond the hole on
  each side, so its bounding rectangle is the hole's bounding box grown by
  one pixel;
- ``cv2.contourArea`` of an outer contour (a lattice polygon through the
  centres of its border pixels) equals, counted over all 2 x 2 pixel
  windows of the *filled* component (the component with its holes), one
  for every window inside it and one half for every window with three of
  its four pixels inside; a hole contour never encloses more area than its
  component's outer contour, and a component nested in a hole never more
  than the component around it, so the largest contour is always the outer
  contour of a top-level component;
- OpenCV lists top-level contours in the reverse raster order of their
  first pixel, so among equally large ones ``argmax`` keeps the one whose
  first pixel comes last.

Three exact ways, with equal results (the tests hold each to OpenCV):

- **compiled sweeps** (``_level_sets.c``, built by ``setup.py`` when a C
  compiler is there; modes ``'all'`` and ``'largest'``, maps of at most
  :data:`COMPILED_MAX_SIDE` rows and columns): a union-find adds the pixels
  in value order, descending for the 8-connected foreground components and
  ascending for the 4-connected background components (the holes, and the
  filled components of mode ``'largest'``); the components alive at a level
  give its boxes;
- mode ``'union'``: the box around all foreground pixels of every level,
  from the row and column maxima of the map
  (:func:`~mmwsol.evaluation.functional.boxes.union_boxes_at_levels`);
- otherwise **OpenCV** contours, once per distinct level.

A fourth path, numpy component trees (about 750 lines), was removed in
#13: measured side by side (docs/evaluation.md, "The fast exact path"), it
was 2.3 to 9 times slower than the compiled sweeps and at best 2 times
faster than OpenCV per level (slower at ``cam_curve_interval=0.01``), so it
only paid on an install without a C compiler at interval 0.001.
"""

from typing import Sequence, Tuple

import numpy as np

from .boxes import BOX_MODES, boxes_at_level, union_boxes_at_levels
from .iou import box_iou, check_gt_boxes

try:  # the compiled sweep (setup.py builds it when a C compiler is there)
    from . import _level_sets
except ImportError:  # pragma: no cover - depends on the installation
    _level_sets = None

#: Implementations of :func:`level_best_ious`.
IMPLEMENTATIONS = ('auto', 'compiled', 'opencv')
#: Box modes the compiled sweeps serve ('union' is cheap in numpy).
COMPILED_MODES = ('all', 'largest')
#: Largest height and width of a map the compiled sweeps take (their pixel
#: coordinates are packed in int32); larger maps take the OpenCV path.
COMPILED_MAX_SIDE = 32767


def has_compiled_sweep() -> bool:
    """Whether the compiled sweeps of box modes ``'all'`` and ``'largest'``
    are installed."""
    return _level_sets is not None


def compiled_sweep_fits(shape: Sequence[int]) -> bool:
    """Whether a map of this ``(H, W)`` shape is within the compiled sweeps'
    size limit (:data:`COMPILED_MAX_SIDE` on each side)."""
    return all(0 < int(side) <= COMPILED_MAX_SIDE for side in shape[:2])


def check_levels(
    scoremap_u8: np.ndarray, levels: Sequence[int], mode: str
) -> Tuple[np.ndarray, np.ndarray, int]:
    """Validate a uint8 map, its levels and a box mode.

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        levels (Sequence[int]): Non-negative integer levels.
        mode (str): One of :data:`BOX_MODES`.

    Returns:
        tuple[np.ndarray, np.ndarray, int]: The contiguous map, the int64
        levels (flat) and the map's maximum (0 for an empty map).
    """
    if mode not in BOX_MODES:
        raise ValueError(
            f'Unknown box mode {mode!r}, choose from {BOX_MODES}.'
        )
    scoremap_u8 = np.asarray(scoremap_u8)
    if scoremap_u8.ndim != 2 or scoremap_u8.dtype != np.uint8:
        raise ValueError(
            'Expected a 2-D uint8 map, got '
            f'{scoremap_u8.dtype} of shape {scoremap_u8.shape}.'
        )
    levels = np.asarray(levels, dtype=np.int64).reshape(-1)
    if (levels < 0).any():
        raise ValueError('Binarisation levels must be non-negative.')
    peak = int(scoremap_u8.max()) if scoremap_u8.size else 0
    return np.ascontiguousarray(scoremap_u8), levels, peak


def _use_compiled(implementation: str, mode: str, shape: Sequence) -> bool:
    """Whether :func:`level_best_ious` runs the compiled sweeps (raising
    when ``'compiled'`` is asked for and cannot serve)."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f'Unknown implementation {implementation!r}, '
            f'choose from {IMPLEMENTATIONS}.'
        )
    if implementation == 'opencv':
        return False
    usable = mode in COMPILED_MODES and has_compiled_sweep()
    if implementation == 'auto':
        return usable and compiled_sweep_fits(shape)
    if not usable:
        raise ValueError(
            f'The compiled sweeps serve modes {COMPILED_MODES} '
            'and must be built (pip install -e . with a C '
            'compiler); use implementation="opencv".'
        )
    if not compiled_sweep_fits(shape):
        raise ValueError(
            f'The compiled sweeps take maps of at most '
            f'{COMPILED_MAX_SIDE} x {COMPILED_MAX_SIDE} pixels, '
            f'got shape {tuple(shape)}; use '
            'implementation="opencv" (or "auto").'
        )
    return True


def _opencv_best_ious(
    scoremap_u8: np.ndarray,
    gt_boxes: np.ndarray,
    active: np.ndarray,
    mode: str,
) -> np.ndarray:
    """Best IoU per level from OpenCV contours (one call per level), or
    from the row and column maxima in mode ``'union'``."""
    if mode == 'union':
        return box_iou(
            union_boxes_at_levels(scoremap_u8, active), gt_boxes
        ).max(axis=1)
    per_level = [
        boxes_at_level(scoremap_u8, level, mode) for level in active.tolist()
    ]
    counts = np.array([len(boxes) for boxes in per_level])
    ious = box_iou(np.concatenate(per_level), gt_boxes).max(axis=1)
    return np.maximum.reduceat(ious, np.cumsum(counts) - counts)


def level_best_ious(
    scoremap_u8: np.ndarray,
    gt_boxes: np.ndarray,
    levels: Sequence[int],
    mode: str = 'all',
    implementation: str = 'auto',
) -> np.ndarray:
    """Best IoU between the boxes of each level and any GT box.

    The boxes of a level are those of
    :func:`~mmwsol.evaluation.functional.boxes_at_level`; each distinct
    level is computed once, by the compiled sweeps or OpenCV (see the
    module's description).

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        gt_boxes (np.ndarray): (G, 4) GT boxes on the map's grid, G >= 1,
            read as float64 and used as given (see
            :func:`~mmwsol.evaluation.functional.iou.check_gt_boxes`).
        levels (Sequence[int]): Non-negative integer levels, any order.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.
        implementation (str): ``'auto'`` (compiled when available, the
            mode is ``'all'`` or ``'largest'`` and the map has at most
            :data:`COMPILED_MAX_SIDE` rows and columns; else OpenCV),
            ``'compiled'`` (an error if unavailable, in mode ``'union'`` or
            for a larger map) or ``'opencv'``. All give the same values.
            Defaults to 'auto'.

    Returns:
        np.ndarray: float64 (n_levels, ), the maximum over the level's boxes
        and the GT boxes of :func:`~mmwsol.evaluation.functional.box_iou`.
    """
    compiled = _use_compiled(implementation, mode, np.shape(scoremap_u8))
    scoremap_u8, levels, peak = check_levels(scoremap_u8, levels, mode)
    gt_boxes = check_gt_boxes(gt_boxes)
    empty_iou = float(box_iou(np.zeros((1, 4), np.int64), gt_boxes).max())
    result = np.full(levels.size, empty_iou, dtype=np.float64)
    is_active = levels < peak
    active, inverse = np.unique(levels[is_active], return_inverse=True)
    if not active.size:
        return result
    if compiled:
        best = np.empty(active.size, dtype=np.float64)
        sweep = (
            _level_sets.best_ious_all
            if mode == 'all'
            else _level_sets.best_ious_largest
        )
        sweep(
            scoremap_u8,
            np.ascontiguousarray(active, dtype=np.int64),
            np.ascontiguousarray(gt_boxes),
            best,
        )
    else:
        best = _opencv_best_ious(scoremap_u8, gt_boxes, active, mode)
    result[is_active] = best[inverse.reshape(-1)]
    return result
