"""Box IoU and GT box rescaling with the community WSOL conventions."""

from typing import Sequence

import numpy as np


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU of every pair of boxes, inclusive-pixel convention.

    Boxes are ``[x0, y0, x1, y1]`` with both corners inside the box, so a box
    covers ``(x1 - x0 + 1) * (y1 - y0 + 1)`` pixels and the intersection is
    ``max(0, min(x1) - max(x0) + 1) * max(0, min(y1) - max(y0) + 1)``. This
    is the convention of ``calculate_multiple_iou`` in ``wsolevaluation``,
    including how it treats degenerate boxes:

    - a pair whose union ``area_a + area_b - intersection`` is ``<= 0``
      (only possible with inverted boxes, e.g. a zero-area box
      ``x1 = x0 - 1`` against itself) scores 0;
    - the "no contour" box ``[0, 0, 0, 0]`` is *not* special: it is the
      one-pixel box at the top-left pixel, so its IoU with a GT box that
      contains pixel (0, 0) is ``1 / area(GT)`` (1.0 against a GT box
      ``[0, 0, 0, 0]``).

    Args:
        boxes_a (np.ndarray): Boxes of shape (n_a, 4).
        boxes_b (np.ndarray): Boxes of shape (n_b, 4).

    Returns:
        np.ndarray: float64 IoU of shape (n_a, n_b).
    """
    boxes_a = np.asarray(boxes_a).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b).reshape(-1, 4)
    a = boxes_a[:, None, :]
    b = boxes_b[None, :, :]
    inter_w = np.maximum(
        0,
        np.minimum(a[..., 2], b[..., 2])
        - np.maximum(a[..., 0], b[..., 0])
        + 1,
    )
    inter_h = np.maximum(
        0,
        np.minimum(a[..., 3], b[..., 3])
        - np.maximum(a[..., 1], b[..., 1])
        + 1,
    )
    intersection = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    union = area_a + area_b - intersection
    degenerate = union <= 0
    ious = intersection / np.where(degenerate, 1, union)
    ious = np.asarray(ious, dtype=np.float64)
    ious[degenerate] = 0.0
    return ious


def check_gt_boxes(gt_boxes: np.ndarray) -> np.ndarray:
    """GT boxes as a float64 ``(n, 4)`` array, n >= 1.

    The one conversion every box backend sees (the compiled sweeps, the
    numpy component trees and OpenCV per level): coordinates are read as
    float64 and the IoU is computed on them *as given*, like
    :func:`box_iou` does. The protocol's boxes are integers already
    (:func:`rescale_boxes` truncates), for which float64 is exact; a
    non-integer box is neither rounded nor truncated, so the answer of a
    public function never depends on the backend that computed it.

    Args:
        gt_boxes (np.ndarray): Boxes, any shape with ``4 * n`` values.

    Returns:
        np.ndarray: The boxes as float64, shape ``(n, 4)``.

    Raises:
        ValueError: No box is given, or a coordinate is NaN or infinite.
    """
    gt_boxes = np.asarray(gt_boxes, dtype=np.float64).reshape(-1, 4)
    if len(gt_boxes) == 0:
        raise ValueError('At least one GT box is needed.')
    if not np.isfinite(gt_boxes).all():
        raise ValueError(
            'GT box coordinates must be finite, got '
            f'{gt_boxes[~np.isfinite(gt_boxes).all(1)].tolist()}'
            '.'
        )
    return gt_boxes


def rescale_boxes(
    boxes: np.ndarray, ori_shape: Sequence[int], new_shape: Sequence[int]
) -> np.ndarray:
    """Rescale boxes from the original image to the score map grid.

    As ``resize_bbox`` of ``wsolevaluation``: ``int(x * W_new / w_ori)`` for
    x coordinates and ``int(y * H_new / h_ori)`` for y coordinates, computed
    in float64 in that order and truncated toward zero.

    Args:
        boxes (np.ndarray): Boxes ``[x0, y0, x1, y1]`` of shape (n, 4) in
            original image coordinates.
        ori_shape (Sequence[int]): ``(h, w)`` of the original image.
        new_shape (Sequence[int]): ``(H, W)`` of the score map.

    Returns:
        np.ndarray: int64 boxes of shape (n, 4).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    ori_h, ori_w = (float(v) for v in ori_shape[:2])
    new_h, new_w = (float(v) for v in new_shape[:2])
    if ori_h <= 0 or ori_w <= 0:
        raise ValueError(f'Invalid original image shape {tuple(ori_shape)}.')
    scaled = np.empty_like(boxes)
    scaled[:, 0::2] = boxes[:, 0::2] * new_w / ori_w
    scaled[:, 1::2] = boxes[:, 1::2] * new_h / ori_h
    return np.trunc(scaled).astype(np.int64)
