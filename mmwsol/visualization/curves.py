"""Plots of the WSOL evaluation curves (box accuracy, pixel precision-recall).

The inputs are the curves JSON files of the metrics:

- box curves (``WSOLMetric(curves_file=...)``): ``thresholds``,
  ``iou_thresholds``, the accuracy in percent per IoU threshold and CAM
  threshold, ``box_mode``;
- mask curves (``WSOLMaskMetric(curves_file=...)``): ``thresholds``,
  ``precision``, ``recall``, ``iou`` per CAM threshold and ``PxAP``;
- both, as ``{"box": ..., "mask": ...}``: box and mask metrics of one run
  sharing a ``curves_file`` (``tools/test.py --report DIR`` writes
  ``DIR/curves.json``), or ``tools/analysis/eval_scoremaps.py --curves``
  with boxes and masks.

Figures are drawn with matplotlib's object API on an Agg canvas, so nothing
here touches pyplot's global state or needs a display.
"""

import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Line styles of the IoU thresholds when several runs share a figure.
_LINE_STYLES = ('-', '--', ':', '-.')
_MAIN_NAMES = {
    'all': 'MaxBoxAccV2',
    'largest': 'MaxBoxAcc',
    'union': 'MaxBoxAccUnion',
}


def load_curves(path: str) -> dict:
    """Read a curves JSON file.

    Args:
        path (str): The file.

    Returns:
        dict: Its content.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it is not a JSON object of box or mask curves.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Curves file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not valid JSON: {error}') from error
    box, mask = split_curves(data, path)
    if box is None and mask is None:
        raise ValueError(
            f'{path} holds neither box curves (thresholds, iou_thresholds, '
            'accuracy) nor mask curves (thresholds, precision, recall)'
        )
    return data


def is_box_curves(data: dict) -> bool:
    """Whether a dict holds box accuracy curves."""
    return (
        isinstance(data, dict)
        and 'iou_thresholds' in data
        and 'thresholds' in data
    )


def is_mask_curves(data: dict) -> bool:
    """Whether a dict holds pixel precision-recall curves."""
    return isinstance(data, dict) and 'precision' in data and 'recall' in data


def split_curves(
    data: dict, name: str = 'curves'
) -> Tuple[Optional[dict], Optional[dict]]:
    """The box and the mask curves of a curves file's content.

    Args:
        data (dict): A flat box or mask curves dict, or
            ``{"box": ..., "mask": ...}``.
        name (str): Name for error messages.

    Returns:
        tuple[dict | None, dict | None]: ``(box, mask)``.
    """
    if not isinstance(data, dict):
        raise ValueError(
            f'{name}: expected a JSON object, got {type(data).__name__}'
        )
    if 'box' in data or 'mask' in data:
        box, mask = data.get('box'), data.get('mask')
    else:
        box = data if is_box_curves(data) else None
        mask = data if is_mask_curves(data) else None
    if box is not None and not is_box_curves(box):
        raise ValueError(
            f'{name}: the "box" entry lacks thresholds or iou_thresholds'
        )
    if mask is not None and not is_mask_curves(mask):
        raise ValueError(f'{name}: the "mask" entry lacks precision or recall')
    return box, mask


def _as_float_array(values: Sequence) -> np.ndarray:
    """A list with ``null`` entries as a float array with NaN."""
    return np.array(
        [np.nan if v is None else v for v in values], dtype=np.float64
    )


def box_accuracy_curves(box: dict) -> Dict[float, np.ndarray]:
    """The accuracy curve (percent per CAM threshold) of each IoU threshold.

    Args:
        box (dict): Box curves.

    Returns:
        dict[float, np.ndarray]: IoU threshold (percent) -> curve.
    """
    ious = [float(v) for v in box['iou_thresholds']]
    num_thr = len(box['thresholds'])
    accuracy = box.get('accuracy')
    if isinstance(accuracy, dict):
        rows = [accuracy[key] for key in _iou_keys(accuracy, ious)]
    elif accuracy is not None:
        rows = list(accuracy)
    else:
        raise ValueError('box curves lack "accuracy"')
    if len(rows) != len(ious):
        raise ValueError(
            f'box curves have {len(rows)} accuracy curves for '
            f'{len(ious)} IoU thresholds'
        )
    curves = {}
    for iou, row in zip(ious, rows):
        row = _as_float_array(row)
        if row.shape != (num_thr,):
            raise ValueError(
                f'the accuracy curve of IoU {iou:g} has '
                f'{row.size} values for {num_thr} thresholds'
            )
        curves[iou] = row
    return curves


def _iou_keys(accuracy: dict, ious: Sequence[float]) -> List[str]:
    """Keys of a dict of accuracy curves, in the order of ``ious``."""
    by_value = {float(key): key for key in accuracy}
    missing = [iou for iou in ious if iou not in by_value]
    if missing:
        raise ValueError(f'box curves lack the accuracy of IoU {missing}')
    return [by_value[iou] for iou in ious]


def best_point(
    thresholds: np.ndarray, curve: np.ndarray
) -> Tuple[float, float]:
    """The smallest threshold reaching a curve's maximum and that maximum.

    Args:
        thresholds (np.ndarray): The CAM thresholds.
        curve (np.ndarray): Values per threshold (NaN ignored).

    Returns:
        tuple[float, float]: ``(threshold, value)``.
    """
    index = int(np.nanargmax(curve))
    return float(thresholds[index]), float(curve[index])


def plot_box_accuracy(
    ax: Axes,
    box: dict,
    label: Optional[str] = None,
    color: Optional[str] = None,
) -> None:
    """Draw box accuracy vs CAM threshold, one line per IoU threshold.

    The best threshold of each IoU threshold is marked with a dot and named
    in the legend (``IoU 50: 71.2 @ 0.23``).

    Args:
        ax (Axes): The axes.
        box (dict): Box curves.
        label (str, optional): Name of the run; when given, all lines of the
            run share ``color`` and differ by line style (comparison mode).
        color (str, optional): Colour of the run's lines.
    """
    thresholds = np.asarray(box['thresholds'], dtype=np.float64)
    for i, (iou, curve) in enumerate(box_accuracy_curves(box).items()):
        line_color = color if label is not None else f'C{i}'
        style = (
            _LINE_STYLES[i % len(_LINE_STYLES)] if label is not None else '-'
        )
        best_t, best_acc = best_point(thresholds, curve)
        name = f'IoU {iou:g}: {best_acc:.1f} @ {best_t:.3g}'
        if label is not None:
            name = f'{label}, {name}'
        ax.plot(
            thresholds,
            curve,
            linestyle=style,
            color=line_color,
            linewidth=1.5,
            label=name,
        )
        ax.plot(
            [best_t],
            [best_acc],
            marker='o',
            color=line_color,
            markersize=6,
            linestyle='none',
        )
    main = _MAIN_NAMES.get(box.get('box_mode', 'all'), 'MaxBoxAcc')
    ax.set_xlabel('CAM threshold')
    ax.set_ylabel('Box accuracy (%)')
    ax.set_title(f'Box accuracy vs CAM threshold ({main})')
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)


def plot_precision_recall(
    ax: Axes,
    mask: dict,
    label: Optional[str] = None,
    color: Optional[str] = None,
) -> None:
    """Draw the pixel precision-recall curve, PxAP in the legend.

    The point of the peak-IoU threshold (Peak-T) is marked with a dot and
    named in the legend with pIoU.

    Args:
        ax (Axes): The axes.
        mask (dict): Mask curves.
        label (str, optional): Name of the run.
        color (str, optional): Colour of the curve.
    """
    precision = _as_float_array(mask['precision'])
    recall = _as_float_array(mask['recall'])
    if precision.shape != recall.shape:
        raise ValueError('mask curves: precision and recall differ in length')
    keep = ~np.isnan(precision)
    parts = []
    if mask.get('PxAP') is not None:
        parts.append(f'PxAP {float(mask["PxAP"]):.2f}')
    if mask.get('pIoU') is not None and mask.get('peak_threshold') is not None:
        parts.append(
            f'pIoU {float(mask["pIoU"]):.1f} @ '
            f'{float(mask["peak_threshold"]):.3g}'
        )
    name = ', '.join(parts) or 'precision-recall'
    if label is not None:
        name = f'{label} ({name})'
    lines = ax.plot(
        recall[keep], precision[keep], color=color, linewidth=1.5, label=name
    )
    peak = mask.get('peak_threshold')
    thresholds = mask.get('thresholds')
    if peak is not None and thresholds is not None:
        index = int(np.argmin(np.abs(np.asarray(thresholds) - peak)))
        if keep[index]:
            ax.plot(
                [recall[index]],
                [precision[index]],
                marker='o',
                color=lines[0].get_color(),
                markersize=6,
                linestyle='none',
            )
    ax.set_xlabel('Recall')
    ax.set_ylabel('Precision')
    ax.set_title('Pixel precision-recall (PxAP)')
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)


def plot_curves(
    curves: Sequence[dict],
    labels: Optional[Sequence[str]] = None,
    panel_size: Tuple[float, float] = (6.4, 4.8),
    dpi: int = 100,
) -> Figure:
    """A figure comparing the curves of one or more runs.

    It has a box-accuracy panel when any run has box curves and a
    precision-recall panel when any has mask curves, side by side.

    Args:
        curves (Sequence[dict]): The content of each curves file.
        labels (Sequence[str], optional): Name of each run. With one run and
            no label, the lines are coloured by IoU threshold.
        panel_size (tuple[float, float]): Size of a panel in inches.
            Defaults to (6.4, 4.8).
        dpi (int): Resolution. Defaults to 100.

    Returns:
        Figure: The figure (``panels * panel_size * dpi`` pixels).
    """
    if not curves:
        raise ValueError('No curves to plot.')
    if labels is None:
        labels = (
            [None]
            if len(curves) == 1
            else [f'run {i}' for i in range(len(curves))]
        )
    if len(labels) != len(curves):
        raise ValueError(f'{len(labels)} labels for {len(curves)} curves')
    parts = [split_curves(data) for data in curves]
    kinds = [
        kind
        for kind, index in (('box', 0), ('mask', 1))
        if any(p[index] is not None for p in parts)
    ]
    if not kinds:
        raise ValueError('No box or mask curves to plot.')
    fig = Figure(figsize=(panel_size[0] * len(kinds), panel_size[1]), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    for ax, kind in zip(axes, kinds):
        for i, ((box, mask), label) in enumerate(zip(parts, labels)):
            color = f'C{i}'
            if kind == 'box' and box is not None:
                plot_box_accuracy(ax, box, label, color)
            elif kind == 'mask' and mask is not None:
                plot_precision_recall(ax, mask, label, color)
        ax.legend(loc='best', fontsize='small')
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, out_file: str) -> None:
    """Save a figure (PNG or any format matplotlib infers from the name).

    Args:
        fig (Figure): The figure.
        out_file (str): Output path; its folder is created.
    """
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out_file, dpi=fig.dpi)
