"""A slow, literal reference of the WSOL box protocol (DESIGN.md §6).

Written from the words of the protocol, one threshold at a time, without
any shortcut, to check the library against. Also holds the random score
map generators shared by the tests.
"""

import cv2
import numpy as np


def ref_thresholds(interval=0.01):
    return np.arange(0, 1, interval)


def ref_boxes(scoremap, threshold, mode):
    """Boxes of one score map at one CAM threshold (max standard)."""
    height, width = scoremap.shape
    u8 = (np.asarray(scoremap, dtype=np.float64) * 255).astype(np.uint8)
    level = int(threshold * int(u8.max()))
    return ref_boxes_at_level(u8, level, mode)


def ref_boxes_at_level(u8, level, mode):
    height, width = u8.shape
    foreground = np.where(u8 > level, 255, 0).astype(np.uint8)
    found = cv2.findContours(
        foreground, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE
    )
    contours = found[0] if len(found) == 2 else found[1]
    if len(contours) == 0:
        return [[0, 0, 0, 0]]
    if mode == 'union':
        # one box around everything: the bounding rect of all contour
        # points together
        contours = [np.concatenate(contours)]
    if mode == 'largest':
        largest = contours[0]
        largest_area = cv2.contourArea(largest)
        for contour in contours[1:]:
            area = cv2.contourArea(contour)
            if area > largest_area:
                largest, largest_area = contour, area
        contours = [largest]
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        boxes.append([x, y, min(x + w, width - 1), min(y + h, height - 1)])
    return boxes


def ref_iou(box_a, box_b):
    """IoU of two boxes with the inclusive +1 pixel convention."""
    ax0, ay0, ax1, ay1 = (int(v) for v in box_a)
    bx0, by0, bx1, by1 = (int(v) for v in box_b)
    inter_w = max(0, min(ax1, bx1) - max(ax0, bx0) + 1)
    inter_h = max(0, min(ay1, by1) - max(ay0, by0) + 1)
    inter = inter_w * inter_h
    area_a = (ax1 - ax0 + 1) * (ay1 - ay0 + 1)
    area_b = (bx1 - bx0 + 1) * (by1 - by0 + 1)
    union = area_a + area_b - inter
    if union <= 0:
        return 0.0
    return inter / union


def ref_rescale(box, ori_h, ori_w, new_h, new_w):
    x0, y0, x1, y1 = (float(v) for v in box)
    return [
        int(x0 * new_w / ori_w),
        int(y0 * new_h / ori_h),
        int(x1 * new_w / ori_w),
        int(y1 * new_h / ori_h),
    ]


def ref_best_ious(scoremap, gt_boxes, thresholds, mode):
    best = []
    for threshold in thresholds:
        value = 0.0
        first = True
        for box in ref_boxes(scoremap, threshold, mode):
            for gt in gt_boxes:
                iou = ref_iou(box, gt)
                if first or iou > value:
                    value, first = iou, False
        best.append(value)
    return best


def ref_correctness(scoremap, gt_boxes, thresholds, iou_thresholds, mode):
    best = ref_best_ious(scoremap, gt_boxes, thresholds, mode)
    table = np.zeros((len(iou_thresholds), len(thresholds)), dtype=bool)
    for i, delta in enumerate(iou_thresholds):
        for j, value in enumerate(best):
            table[i, j] = value >= delta / 100
    return table


# ---------------------------------------------------------------- maps
def exact_map(u8):
    """A float map whose ``uint8(map * 255)`` is exactly ``u8``."""
    u8 = np.asarray(u8, dtype=np.float64)
    return np.where(u8 == 255, 1.0, (u8 + 0.5) / 255)


def normalise(x):
    x = np.asarray(x, dtype=np.float64)
    x = x - x.min()
    if x.max() <= 0:
        return np.zeros_like(x)
    return x / x.max()


def gaussian_blobs(rng, height, width, num_blobs=3):
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    out = np.zeros((height, width))
    for _ in range(num_blobs):
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        sy = rng.uniform(0.05, 0.3) * height
        sx = rng.uniform(0.05, 0.3) * width
        out += rng.uniform(0.3, 1.0) * np.exp(
            -((ys - cy) ** 2 / (2 * sy**2) + (xs - cx) ** 2 / (2 * sx**2))
        )
    return normalise(out)


def upsampled_noise(rng, height, width, low=14):
    small = rng.random((low, low)).astype(np.float32)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return normalise(big)


def rings(rng, height, width, num_rings=2):
    """Annuli (with holes) plus a little noise."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    out = np.zeros((height, width))
    for _ in range(num_rings):
        cy, cx = rng.uniform(0.2, 0.8) * height, rng.uniform(0.2, 0.8) * width
        radius = rng.uniform(0.1, 0.3) * min(height, width)
        thickness = rng.uniform(0.2, 0.5) * radius
        dist = np.sqrt((ys - cy) ** 2 + (xs - cx) ** 2)
        out += np.exp(-(((dist - radius) / thickness) ** 2))
    out += 0.05 * rng.random((height, width))
    return normalise(out)


def random_gt_boxes(rng, ori_h, ori_w, num_boxes):
    boxes = []
    for _ in range(num_boxes):
        x0, x1 = sorted(rng.integers(0, ori_w, size=2))
        y0, y1 = sorted(rng.integers(0, ori_h, size=2))
        boxes.append([int(x0), int(y0), int(x1), int(y1)])
    return boxes


def random_maps(rng, height, width):
    """A varied list of score maps of one size."""
    maps = [
        gaussian_blobs(rng, height, width, 1),
        gaussian_blobs(rng, height, width, 4),
        upsampled_noise(rng, height, width),
        upsampled_noise(rng, height, width, low=7),
        rings(rng, height, width, 1),
        rings(rng, height, width, 3),
        np.zeros((height, width)),
        np.full((height, width), 0.5),
        np.ones((height, width)),
    ]
    return maps
