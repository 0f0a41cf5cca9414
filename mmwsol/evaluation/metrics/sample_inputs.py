"""Reading the inputs of the WSOL metrics from a predicted sample.

Shared by :class:`~mmwsol.evaluation.WSOLMetric` and
:class:`~mmwsol.evaluation.WSOLMaskMetric`:

- **invalid maps**: a map is invalid when the model flagged it
  (``gt_cam_valid`` False: the raw map held NaN / inf before normalisation,
  the stored map is then all zeros) or when it holds a non-finite value
  itself (maps from other code bases). It is evaluated as an empty
  prediction (all zeros); the metrics count such maps and warn with the
  first names.
- **geometry**: the GT boxes are placed on the map in the geometry the
  pipeline gave the input (see
  :mod:`mmwsol.datasets.transforms.geometry`): the community rescaling
  ``int(x * W / w)`` for a plain resize (and for samples without a record,
  e.g. maps evaluated offline), else ``floor(s * x + o)`` per coordinate
  with the recorded scale ``s`` and offset ``o``, clipped to the map, boxes
  without any pixel on the map dropped.
"""

from typing import Any, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

from mmwsol.datasets.transforms.geometry import (
    GEOMETRY_KEY,
    UNTRACKED_KEY,
    describe_untracked,
    is_plain_resize,
)

from ..functional import rescale_boxes
from .wsol_summary import gt_rank

#: How many image names the invalid-map warning lists.
NUM_NAMES_SHOWN = 5


def to_numpy(value: Any) -> np.ndarray:
    """A tensor (any device/dtype), array, sequence or number as numpy."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_floating_point() and value.dtype not in (
            torch.float32,
            torch.float64,
        ):
            value = value.float()
        return value.numpy()
    return np.asarray(value)


def _name_key(sample: dict) -> Optional[str]:
    """The first of ``img_path``, ``img_id``, ``sample_idx`` a sample has."""
    for key in ('img_path', 'img_id', 'sample_idx'):
        if sample.get(key) is not None:
            return key
    return None


def sample_name(sample: dict) -> str:
    """A readable name of a sample for messages."""
    key = _name_key(sample)
    return 'A sample' if key is None else f'Sample {key}={sample[key]!r}'


def short_name(sample: dict) -> str:
    """The image path (or id) of a sample, for lists of names."""
    key = _name_key(sample)
    return '?' if key is None else str(sample[key])


def read_gt_cam(sample: dict, name: str) -> Tuple[np.ndarray, bool]:
    """The GT-class map of a sample as float64 ``(H, W)``, and its validity.

    Args:
        sample (dict): The sample, with ``gt_cam`` and optionally
            ``gt_cam_valid``.
        name (str): Name of the sample for error messages.

    Returns:
        tuple[np.ndarray, bool]: The map (all zeros when invalid) and
        whether it is valid (``gt_cam_valid`` not False and every value
        finite).

    Raises:
        ValueError: If the map is not 2-D (or ``(1, H, W)``).
    """
    cam = to_numpy(sample['gt_cam'])
    if cam.ndim == 3 and cam.shape[0] == 1:
        cam = cam[0]
    if cam.ndim != 2:
        raise ValueError(
            f'{name}: gt_cam must have shape (H, W), got {tuple(cam.shape)}.'
        )
    cam = cam.astype(np.float64)
    flag = sample.get('gt_cam_valid', True)
    flag = bool(to_numpy(flag).all()) if flag is not None else True
    valid = flag and bool(np.isfinite(cam).all())
    if not valid:
        cam = np.zeros_like(cam)
    return cam, valid


def warn_invalid_maps(metric: str, names: Sequence[Optional[str]]) -> int:
    """Warn about invalid maps (MMEngine logger, level WARNING).

    Args:
        metric (str): Name of the metric, for the message.
        names (Sequence[str | None]): Per evaluated sample, its name when
            its map was invalid, else None.

    Returns:
        int: The number of invalid maps.
    """
    invalid = [n for n in names if n is not None]
    if invalid:
        shown = ', '.join(invalid[:NUM_NAMES_SHOWN])
        more = (
            f' and {len(invalid) - NUM_NAMES_SHOWN} more'
            if len(invalid) > NUM_NAMES_SHOWN
            else ''
        )
        print_log(
            f'{metric}: {len(invalid)} of {len(names)} localization maps '
            'were invalid (NaN / inf values, or flagged gt_cam_valid=False '
            'by the model) and were evaluated as empty predictions (all '
            f'zeros): {shown}{more}.',
            logger='current',
            level=30,
        )  # logging.WARNING
    return len(invalid)


def check_pipeline_geometry(dataset_meta: Optional[dict], metric: str) -> None:
    """Refuse a dataset whose pipeline has untracked geometric transforms.

    Args:
        dataset_meta (dict, optional): The metric's ``dataset_meta`` (the
            dataset's ``metainfo``); None or without the key: nothing to
            check.
        metric (str): Name of the metric, for the message.

    Raises:
        ValueError: Naming the transforms and their config keys.
    """
    untracked = (dataset_meta or {}).get(UNTRACKED_KEY)
    if untracked:
        raise ValueError(f'{metric}: {describe_untracked(untracked)}')


def check_sample_geometry(
    sample: dict, name: str, map_shape: Sequence[int]
) -> Optional[dict]:
    """The sample's geometry record, checked against its map.

    Args:
        sample (dict): The sample.
        name (str): Name of the sample for error messages.
        map_shape (Sequence[int]): ``(H, W)`` of its map.

    Returns:
        dict | None: The record, None when the sample has none.

    Raises:
        ValueError: If a transform changed the image size without
            recording it, or if the map is not at the input size (except
            after a plain resize, whose boxes are rescaled to the map).
    """
    geometry = sample.get(GEOMETRY_KEY)
    if geometry is None:
        return None
    if not geometry.get('tracked', True):
        raise ValueError(
            f'{name}: a transform of the test pipeline changed the image '
            'size without updating the geometry record, so the GT boxes '
            "and masks cannot be placed on the map. Use mmwsol's Resize, "
            'ResizeEdge, CenterCrop, RandomCrop or RandomFlip.'
        )
    shape = tuple(int(v) for v in geometry['shape'])
    # a plain resize is rescaled to any map size, as the community does
    if shape != tuple(int(v) for v in map_shape) and not is_plain_resize(
        geometry
    ):
        raise ValueError(
            f'{name}: the map has shape {tuple(map_shape)} but the test '
            f'pipeline made an input of shape {shape}; with a crop or flip '
            'in the pipeline the maps must be at the input size.'
        )
    return geometry


def gt_boxes_on_map(
    ori_boxes: np.ndarray,
    ori_shape: Sequence[int],
    map_shape: Sequence[int],
    geometry: Optional[dict],
) -> np.ndarray:
    """The GT boxes on the map's pixel grid.

    Args:
        ori_boxes (np.ndarray): (N, 4) boxes in the original image.
        ori_shape (Sequence[int]): ``(h, w)`` of the original image.
        map_shape (Sequence[int]): ``(H, W)`` of the map.
        geometry (dict, optional): The sample's geometry record.

    Returns:
        np.ndarray: int64 (M, 4) boxes. Without a record or for a plain
        resize: ``int(x * W / w)`` (the community's rescaling, M = N).
        Otherwise ``floor(sx * x + ox)`` (y alike), the two ends sorted
        (a flip swaps them), boxes without a pixel in ``[0, W - 1] x
        [0, H - 1]`` dropped (M may be 0) and the others clipped to it.
    """
    if geometry is None or is_plain_resize(geometry):
        return rescale_boxes(ori_boxes, ori_shape, map_shape)
    (sx, sy), (ox, oy) = geometry['scale'], geometry['offset']
    boxes = np.asarray(ori_boxes, dtype=np.float64).reshape(-1, 4)
    xs = np.floor(boxes[:, 0::2] * float(sx) + float(ox))
    ys = np.floor(boxes[:, 1::2] * float(sy) + float(oy))
    xs.sort(axis=1)
    ys.sort(axis=1)
    height, width = (int(v) for v in map_shape[:2])
    keep = (
        (xs[:, 1] >= 0)
        & (xs[:, 0] <= width - 1)
        & (ys[:, 1] >= 0)
        & (ys[:, 0] <= height - 1)
    )
    out = np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], axis=1)[keep]
    out[:, 0::2] = np.clip(out[:, 0::2], 0, width - 1)
    out[:, 1::2] = np.clip(out[:, 1::2], 0, height - 1)
    return out.astype(np.int64)


def read_class_rank(sample: dict, name: str) -> tuple:
    """``(rank of the GT class, number of classes)``, Nones without scores."""
    if sample.get('pred_score') is None:
        return None, None
    if sample.get('gt_label') is None:
        raise ValueError(
            f"{name} has 'pred_score' but no 'gt_label'; the "
            'classification numbers need the GT class.'
        )
    scores = to_numpy(sample['pred_score']).reshape(-1)
    label = to_numpy(sample['gt_label']).reshape(-1)
    if label.size != 1:
        raise ValueError(
            f'{name}: WSOLMetric needs exactly one GT label, '
            f'got {label.tolist()}.'
        )
    label = int(label[0])
    if not 0 <= label < scores.size:
        raise ValueError(
            f'{name}: GT label {label} is outside the '
            f'{scores.size} predicted classes.'
        )
    return gt_rank(scores, label), int(scores.size)


def read_ori_boxes(sample: dict, name: str) -> np.ndarray:
    """The checked (N, 4) original GT boxes of a sample."""
    ori_boxes = to_numpy(sample['ori_gt_bboxes'])
    if ori_boxes.size == 0:
        raise ValueError(
            f'{name} has no GT box; box-based WSOL evaluation '
            'needs at least one per image.'
        )
    if ori_boxes.ndim not in (1, 2) or ori_boxes.shape[-1] != 4:
        raise ValueError(
            f'{name}: ori_gt_bboxes must have shape (N, 4), '
            f'got {tuple(ori_boxes.shape)}.'
        )
    ori_boxes = ori_boxes.reshape(-1, 4)
    if (
        (ori_boxes < 0).any()
        or (ori_boxes[:, 2] < ori_boxes[:, 0]).any()
        or (ori_boxes[:, 3] < ori_boxes[:, 1]).any()
    ):
        raise ValueError(
            f'{name}: GT boxes must be [x0, y0, x1, y1] with '
            '0 <= x0 <= x1 and 0 <= y0 <= y1, got '
            f'{ori_boxes.tolist()}.'
        )
    return ori_boxes
