"""Per-image box correctness over CAM thresholds and IoU thresholds."""

from typing import Any, Dict, Optional, Sequence

import numpy as np

from .boxes import (
    boxes_at_level,
    fixed_threshold_level,
    scoremap_to_uint8,
    threshold_levels,
)
from .iou import box_iou, check_gt_boxes
from .level_sets import (
    COMPILED_MODES,
    compiled_sweep_fits,
    has_compiled_sweep,
    level_best_ious,
)


def iou_thresholds_as_fraction(iou_thresholds: Sequence[float]) -> np.ndarray:
    """IoU thresholds given in percent as fractions (``δ / 100``).

    Args:
        iou_thresholds (Sequence[float]): IoU thresholds in percent,
            e.g. ``(30, 50, 70)``.

    Returns:
        np.ndarray: float64 array ``δ / 100``.
    """
    return np.asarray(iou_thresholds, dtype=np.float64).reshape(-1) / 100


#: Backends of :func:`best_iou_curve`.
BOX_BACKENDS = ('auto', 'compiled', 'opencv')


def resolve_box_backend(
    backend: str,
    mode: str,
    compiled: Optional[bool] = None,
    shape: Optional[Sequence[int]] = None,
) -> str:
    """The concrete backend ``'auto'`` stands for.

    ``'compiled'`` when the compiled sweeps are installed, serve the mode
    (``'all'``, ``'largest'``) and take the map (at most
    :data:`~mmwsol.evaluation.functional.level_sets.COMPILED_MAX_SIDE`
    rows and columns); else ``'opencv'`` (contours per distinct level; in
    mode ``'union'`` every box from the row and column maxima of the map).
    Other backends are returned unchanged.

    Args:
        backend (str): One of :data:`BOX_BACKENDS`.
        mode (str): The box mode.
        compiled (bool, optional): Whether the compiled sweeps count as
            installed; defaults to the truth (what a machine without a C
            compiler does is ``compiled=False``).
        shape (Sequence[int], optional): ``(H, W)`` of the map; None: a map
            within the compiled sweeps' limit.

    Returns:
        str: ``'compiled'`` or ``'opencv'``.
    """
    if backend not in BOX_BACKENDS:
        raise ValueError(
            f'Unknown backend {backend!r}, choose from {BOX_BACKENDS}.'
        )
    if backend != 'auto':
        return backend
    if compiled is None:
        compiled = has_compiled_sweep()
    if shape is not None and not compiled_sweep_fits(shape):
        compiled = False
    return 'compiled' if compiled and mode in COMPILED_MODES else 'opencv'


def best_iou_curve(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: Sequence[float],
    mode: str = 'all',
    backend: str = 'auto',
) -> np.ndarray:
    """Best IoU of the boxes of a score map at each CAM threshold.

    At each threshold the boxes are those of
    :func:`~mmwsol.evaluation.functional.boxes_at_level` and the best IoU
    over all (box, GT box) pairs is kept. Thresholds sharing a level
    ``int(t * u8.max())`` share their result, and the distinct levels are
    computed by one of two exact backends with equal results
    (:func:`~mmwsol.evaluation.functional.level_sets.level_best_ious`):

    - ``'compiled'``: the compiled union-find sweeps (modes ``'all'`` and
      ``'largest'``, maps of at most 32767 rows and columns; built at
      install time when a C compiler is there), whose cost hardly depends
      on the number of levels;
    - ``'opencv'``: trace the contours of each distinct level with OpenCV
      (mode ``'union'``: every level from the row and column maxima).

    GT boxes are converted once, before dispatch, to float64 and used as
    given (:func:`~mmwsol.evaluation.functional.iou.check_gt_boxes`): the
    protocol's boxes are integers (``int(x * W / w)``), and a non-integer
    box gets the IoU of :func:`~mmwsol.evaluation.functional.box_iou` on its
    float coordinates from every backend alike.

    Args:
        scoremap (np.ndarray): Score map of shape (H, W) in ``[0, 1]``.
        gt_boxes (np.ndarray): GT boxes of shape (n, 4), n >= 1, in the
            coordinates of the score map, finite.
        thresholds (Sequence[float]): The CAM thresholds.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.
        backend (str): One of :data:`BOX_BACKENDS`; ``'auto'`` picks as
            :func:`resolve_box_backend` says. Defaults to 'auto'.

    Returns:
        np.ndarray: float64 array of shape (n_thresholds, ).
    """
    if backend not in BOX_BACKENDS:
        raise ValueError(
            f'Unknown backend {backend!r}, choose from {BOX_BACKENDS}.'
        )
    gt_boxes = check_gt_boxes(gt_boxes)
    scoremap_u8 = scoremap_to_uint8(scoremap)
    levels = threshold_levels(scoremap_u8, thresholds)
    unique_levels, inverse = np.unique(levels, return_inverse=True)
    backend = resolve_box_backend(backend, mode, shape=scoremap_u8.shape)
    best = level_best_ious(scoremap_u8, gt_boxes, unique_levels, mode, backend)
    return best[inverse.reshape(-1)]


def box_correctness(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: Sequence[float],
    iou_thresholds: Sequence[float] = (30, 50, 70),
    mode: str = 'all',
    backend: str = 'auto',
) -> np.ndarray:
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
        mode (str): ``'all'`` (MaxBoxAccV2), ``'largest'`` (MaxBoxAcc) or
            ``'union'`` (one box around the foreground). Defaults to 'all'.
        backend (str): One of :data:`BOX_BACKENDS`, see
            :func:`best_iou_curve` (all give the same result). Defaults to
            'auto'.

    Returns:
        np.ndarray: bool array of shape (n_iou, n_thresholds).
    """
    best = best_iou_curve(scoremap, gt_boxes, thresholds, mode, backend)
    fractions = iou_thresholds_as_fraction(iou_thresholds)
    return best[None, :] >= fractions[:, None]


def fixed_threshold_iou(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    threshold: float = 0.2,
    standard: str = 'max',
    percentile: float = 90,
    mode: str = 'all',
) -> float:
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
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.

    Returns:
        float: The best IoU over all (box, GT box) pairs.
    """
    gt_boxes = check_gt_boxes(gt_boxes)
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
        raise ValueError(
            'Expected a non-empty (N, n_iou, n_thresholds) '
            f'array, got shape {correct.shape}.'
        )
    counts = correct.sum(axis=0).astype(np.float64)
    return counts * 100.0 / float(correct.shape[0])


def max_box_accuracy(
    correct: np.ndarray, thresholds: Sequence[float]
) -> Dict[str, np.ndarray]:
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
        raise ValueError(
            f'{curves.shape[1]} thresholds in `correct` but '
            f'{len(thresholds)} given.'
        )
    best_index = curves.argmax(axis=1)
    return dict(
        accuracy=curves,
        max_accuracy=curves.max(axis=1),
        best_index=best_index,
        best_threshold=thresholds[best_index],
    )


def box_curves_record(
    correct: np.ndarray,
    thresholds: Sequence[float],
    iou_thresholds: Sequence[float],
    box_mode: str = 'all',
    interval: Optional[float] = None,
) -> Dict[str, Any]:
    """The record of the box accuracy curves, a JSON-ready dict.

    This is what :class:`~mmwsol.evaluation.WSOLMetric` writes to its
    ``curves_file`` (the ``"box"`` part of a combined file); offline code
    can build the same dict from stacked :func:`box_correctness` results.
    (:func:`mmwsol.visualization.curves.box_accuracy_curves` reads the
    per-IoU curves back from such a record.)

    Args:
        correct (np.ndarray): bool array of shape (N, n_iou, n_thresholds),
            one :func:`box_correctness` result per image.
        thresholds (Sequence[float]): The CAM thresholds.
        iou_thresholds (Sequence[float]): The IoU threshold (percent) of
            each row of ``correct``.
        box_mode (str): The box mode the boxes were drawn with. Defaults
            to 'all'.
        interval (float, optional): The step of the thresholds, recorded
            as given. Defaults to None.

    Returns:
        dict: ``thresholds`` (list of float), ``iou_thresholds`` (list of
        float), ``accuracy`` (one list per IoU threshold: percent of images
        localised at each CAM threshold), ``max_accuracy`` and
        ``best_threshold`` (one per IoU threshold, the smallest threshold
        on ties), ``box_mode``, ``interval`` and ``num_images``.
    """
    iou_thresholds = [float(v) for v in np.asarray(iou_thresholds).ravel()]
    correct = np.asarray(correct, dtype=bool)
    if correct.ndim != 3 or correct.shape[1] != len(iou_thresholds):
        raise ValueError(
            f'Expected correctness of shape (N, '
            f'{len(iou_thresholds)}, n_thresholds), got '
            f'{correct.shape}.'
        )
    stats = max_box_accuracy(correct, thresholds)
    return dict(
        thresholds=[float(t) for t in np.asarray(thresholds)],
        iou_thresholds=iou_thresholds,
        accuracy=stats['accuracy'].tolist(),
        max_accuracy=stats['max_accuracy'].tolist(),
        best_threshold=stats['best_threshold'].tolist(),
        box_mode=box_mode,
        interval=None if interval is None else float(interval),
        num_images=int(correct.shape[0]),
    )
