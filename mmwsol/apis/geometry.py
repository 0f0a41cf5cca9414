"""From a predicted data sample to maps and boxes on the original image.

The maps of ``predict`` are at the network input size; they are mapped back
onto the whole original image (the test pipelines resize the whole image,
without crop) with bicubic interpolation and clipped to ``[0, 1]``. Boxes
are then cut from these original-size maps by the config's box rule
(:class:`~mmwsol.evaluation.BoxRule`: uint8 truncation, level
``int(θ * max)`` or ``int(θ * percentile)``, foreground ``u8 > level``,
OpenCV contours), so they are in original image pixels:
``[x0, y0, x1, y1]`` with ``x1 = x + w`` and ``y1 = y + h`` of the
contour's bounding rectangle, clipped to ``W - 1`` / ``H - 1`` (the
evaluator's convention).
"""

from typing import List, Optional, Sequence

import cv2
import numpy as np

from mmwsol.evaluation.box_rule import BoxRule

from .result import LocalizationResult


def map_to_original(
    cam: np.ndarray, img_shape: Sequence[int], ori_shape: Sequence[int]
) -> np.ndarray:
    """Bring a map at network input size back onto the original image.

    Args:
        cam (np.ndarray): ``(H', W')`` map; when larger than ``img_shape``
            (a padded batch) its top-left ``img_shape`` part is used.
        img_shape (Sequence[int]): ``(h, w)`` of the resized image.
        ori_shape (Sequence[int]): ``(h, w)`` of the original image.

    Returns:
        np.ndarray: float32 ``(h, w)`` map in ``[0, 1]`` (bicubic, clipped;
        NaN read as 0).
    """
    cam = np.nan_to_num(np.asarray(cam, dtype=np.float32))
    h, w = int(img_shape[0]), int(img_shape[1])
    cam = cam[:h, :w]
    oh, ow = int(ori_shape[0]), int(ori_shape[1])
    if cam.shape != (oh, ow):
        cam = cv2.resize(cam, (ow, oh), interpolation=cv2.INTER_CUBIC)
    return np.clip(cam, 0.0, 1.0).astype(np.float32)


def rule_boxes(cam: np.ndarray, rule: BoxRule) -> np.ndarray:
    """The boxes of one map; the protocol's ``[0, 0, 0, 0]`` ("no
    contour") becomes no box.

    Args:
        cam (np.ndarray): ``(h, w)`` map in ``[0, 1]``.
        rule (BoxRule): The box rule.

    Returns:
        np.ndarray: int64 ``(n, 4)`` boxes.
    """
    boxes = rule.boxes(cam)
    keep = (boxes[:, 2] > boxes[:, 0]) | (boxes[:, 3] > boxes[:, 1])
    return boxes[keep].astype(np.int64).reshape(-1, 4)


def sample_to_result(
    sample,
    topk: int,
    rule: BoxRule,
    classes: Optional[Sequence[str]] = None,
) -> LocalizationResult:
    """Turn one predicted data sample into a :class:`LocalizationResult`.

    Args:
        sample (DataSample): Output of ``model.test_step`` with
            ``pred_score``, ``pred_cams``, ``pred_cam_labels``,
            ``img_shape`` and ``ori_shape``.
        topk (int): Number of maps (and box sets) to keep.
        rule (BoxRule): The box rule.
        classes (Sequence[str], optional): Class names.

    Returns:
        LocalizationResult: Maps and boxes in original image pixels.

    Raises:
        RuntimeError: The sample has no maps (not a WSOL model).
    """
    if 'pred_cams' not in sample:
        raise RuntimeError(
            'predict returned no pred_cams; the inferencer needs a WSOL '
            'model with a localizer'
        )
    scores = sample.pred_score.detach().float().cpu().numpy()
    cams = sample.pred_cams.detach().float().cpu().numpy()[:topk]
    labels = [int(v) for v in sample.pred_cam_labels.cpu().reshape(-1)]
    labels = labels[:topk]
    ori_shape = tuple(int(v) for v in sample.ori_shape[:2])
    img_shape = tuple(int(v) for v in sample.img_shape[:2])
    maps: List[np.ndarray] = [
        map_to_original(cam, img_shape, ori_shape) for cam in cams
    ]
    stacked = (
        np.stack(maps) if maps else np.zeros((0,) + ori_shape, np.float32)
    )

    def name(label: int) -> str:
        if classes is not None and 0 <= label < len(classes):
            return str(classes[label])
        return str(label)

    return LocalizationResult(
        img_path=sample.get('img_path', None),
        ori_shape=ori_shape,
        scores=scores.astype(np.float32),
        labels=labels,
        label_scores=[float(scores[c]) for c in labels],
        class_names=[name(c) for c in labels],
        maps=stacked.astype(np.float32),
        boxes=[rule_boxes(cam, rule) for cam in stacked],
        box_rule=rule.to_dict(),
    )
