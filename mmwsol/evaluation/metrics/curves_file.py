"""One curves file per run: the box and the mask metric write their parts.

``WSOLMetric(curves_file=...)`` writes the box-accuracy curves,
``WSOLMaskMetric(curves_file=...)`` the pixel precision-recall curves. The
scheme of the file, whatever the order the metrics run in:

- written by one metric: its curves, flat (``thresholds``,
  ``iou_thresholds``, ``accuracy``... or ``thresholds``, ``precision``,
  ``recall``...);
- box and mask metrics of the same process pointing at one file: both,
  as ``{"box": {...}, "mask": {...}}``, the format of
  ``tools/analysis/eval_scoremaps.py --curves``. The metric that writes
  second reads the other's part back from the file and keeps it.

``tools/analysis/plot_curves.py`` and the HTML report read both forms. A
part written by a metric that no longer exists (an earlier run, another
process) is not kept: the file describes one run. Two live metrics of the
same kind writing one file replace each other's curves, with a warning
that names the file (give each its own ``curves_file``).
"""

import json
import os.path as osp
import warnings
import weakref
from typing import Dict, Optional

from .wsol_summary import write_json

#: The two kinds of curves, in the order of the combined file.
KINDS = ('box', 'mask')

#: Real path of a curves file -> kind -> weak reference to its writer.
_WRITERS: Dict[str, Dict[str, weakref.ref]] = {}


def curves_kind(data: dict) -> Optional[str]:
    """``'box'`` or ``'mask'`` for flat curves, None for anything else."""
    if not isinstance(data, dict):
        return None
    if 'iou_thresholds' in data and 'thresholds' in data:
        return 'box'
    if 'precision' in data and 'recall' in data:
        return 'mask'
    return None


def curves_parts(data) -> Dict[str, dict]:
    """The parts of a curves file's content, by kind (empty if neither)."""
    if isinstance(data, dict) and any(kind in data for kind in KINDS):
        return {k: data[k] for k in KINDS if isinstance(data.get(k), dict)}
    kind = curves_kind(data)
    return {kind: data} if kind else {}


def _read_parts(path: str) -> Dict[str, dict]:
    if not osp.isfile(path):
        return {}
    try:
        with open(path, encoding='utf-8') as f:
            return curves_parts(json.load(f))
    except (OSError, ValueError):
        return {}


def write_curves_part(path: str, kind: str, curves: dict, owner) -> dict:
    """Write one metric's curves into a run's curves file.

    Args:
        path (str): The curves file (its folder is created).
        kind (str): ``'box'`` or ``'mask'``.
        curves (dict): The metric's flat curves.
        owner (object): The metric writing them (kept as a weak
            reference, to tell its sibling from a stale file).

    Returns:
        dict: What the file now holds.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    writers = _WRITERS.setdefault(osp.realpath(path), {})
    previous = writers.get(kind)
    previous = previous() if previous is not None else None
    if previous is not None and previous is not owner:
        warnings.warn(
            f'curves file {path}: two {kind} metrics write it, the '
            f'{kind} curves of {type(previous).__name__} are replaced by '
            f'those of {type(owner).__name__}; give each metric its own '
            'curves_file',
            stacklevel=2,
        )
    writers[kind] = weakref.ref(owner)
    live = [
        other
        for other, ref in writers.items()
        if other != kind and ref() is not None
    ]
    parts = {kind: curves}
    if live:
        stored = _read_parts(path)
        parts.update({k: stored[k] for k in live if k in stored})
    if len(parts) == 1:
        content = curves
    else:
        content = {k: parts[k] for k in KINDS if k in parts}
    write_json(path, content)
    return content
