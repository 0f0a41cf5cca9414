"""Geometry of the synthetic images: part shapes, body blobs, boxes."""

import math
from typing import List, Sequence, Tuple

import cv2
import numpy as np


def mask_to_box(mask: np.ndarray) -> Tuple[int, int, int, int]:
    """Tight inclusive bounding box of a non-empty boolean mask.

    Args:
        mask (np.ndarray): ``(H, W)`` boolean mask.

    Returns:
        tuple[int, int, int, int]: ``(x0, y0, x1, y1)`` with ``x1`` the last
        foreground column (so ``x1 <= W - 1``).

    Raises:
        ValueError: If the mask is empty.
    """
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        raise ValueError('mask_to_box got an empty mask')
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _unit_polygons(shape: str) -> List[Tuple[np.ndarray, int]]:
    """Polygons of a part shape inside the unit circle.

    Args:
        shape (str): One of :data:`PART_SHAPES`.

    Returns:
        list[tuple[np.ndarray, int]]: ``(points (N, 2), value)`` pairs to
        fill in order (value 0 cuts a hole, as in the ring).
    """

    def regular(n: int, radius: float = 1.0, phase: float = 0.0):
        angles = phase + 2 * np.pi * np.arange(n) / n
        return np.stack([np.cos(angles), np.sin(angles)], 1) * radius

    if shape == 'circle':
        return [(regular(32), 1)]
    if shape == 'square':
        return [(regular(4, phase=np.pi / 4), 1)]
    if shape == 'triangle':
        return [(regular(3, phase=-np.pi / 2), 1)]
    if shape == 'diamond':
        return [
            (np.array([[1.0, 0.0], [0.0, 0.6], [-1.0, 0.0], [0.0, -0.6]]), 1)
        ]
    if shape == 'cross':
        a, b = 0.33, 0.94
        pts = [
            [a, -b],
            [a, -a],
            [b, -a],
            [b, a],
            [a, a],
            [a, b],
            [-a, b],
            [-a, a],
            [-b, a],
            [-b, -a],
            [-a, -a],
            [-a, -b],
        ]
        return [(np.array(pts), 1)]
    if shape == 'ring':
        return [(regular(32), 1), (regular(32, 0.5), 0)]
    if shape == 'star':
        outer = regular(5, 1.0, -np.pi / 2)
        inner = regular(5, 0.45, -np.pi / 2 + np.pi / 5)
        return [(np.stack([outer, inner], 1).reshape(-1, 2), 1)]
    if shape == 'bar':
        return [
            (np.array([[1.0, 0.3], [-1.0, 0.3], [-1.0, -0.3], [1.0, -0.3]]), 1)
        ]
    raise ValueError(f'unknown part shape {shape!r}')


def _polygon_area(points: np.ndarray) -> float:
    """Area of a simple polygon (shoelace formula)."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(
        float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    )


def _unit_area(shape: str) -> float:
    """Area of a part shape with unit circumradius (holes subtracted)."""
    return sum(
        (1 if value else -1) * _polygon_area(pts)
        for pts, value in _unit_polygons(shape)
    )


def _draw_shape(
    canvas: np.ndarray,
    shape: str,
    center: Tuple[float, float],
    radius: float,
    angle: float,
) -> None:
    """Rasterise a part shape into a uint8 canvas (in place, values 0/1).

    Args:
        canvas (np.ndarray): ``(H, W)`` uint8 array.
        shape (str): One of :data:`PART_SHAPES`.
        center (tuple[float, float]): ``(x, y)`` centre in pixels.
        radius (float): Circumradius in pixels.
        angle (float): Rotation in radians.
    """
    rot = np.array(
        [
            [math.cos(angle), -math.sin(angle)],
            [math.sin(angle), math.cos(angle)],
        ]
    )
    shift = 4  # sub-pixel precision of cv2.fillPoly
    for pts, value in _unit_polygons(shape):
        xy = pts @ rot.T * radius + np.asarray(center)
        fixed = np.round(xy * (1 << shift)).astype(np.int32)
        cv2.fillPoly(canvas, [fixed], int(value), cv2.LINE_8, shift)


def _blob(
    rng: np.random.Generator, target_w: float, target_h: float
) -> np.ndarray:
    """Irregular blob whose tight box is about ``target_w x target_h``.

    The outline is a star-shaped polygon: an ellipse in polar form whose
    radius is modulated by harmonics 2-4, tilted by up to ~23 degrees. Two
    correction passes on the outline rescale the axes to meet the target box
    before it is rasterised.

    Args:
        rng (np.random.Generator): Random generator.
        target_w (float): Wanted box width in pixels.
        target_h (float): Wanted box height in pixels.

    Returns:
        np.ndarray: Boolean mask cropped to its tight bounding box.
    """
    tilt = rng.uniform(-0.4, 0.4)
    orders = np.arange(2, 5)
    amplitudes = rng.uniform(0.0, 0.1, size=orders.size)
    phases = rng.uniform(0, 2 * np.pi, size=orders.size)
    theta = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    radius = 1 + (
        amplitudes[:, None] * np.cos(orders[:, None] * theta + phases[:, None])
    ).sum(0)
    u, v = radius * np.cos(theta), radius * np.sin(theta)
    cos_t, sin_t = math.cos(tilt), math.sin(tilt)
    ax, ay = max(target_w, 2.0) / 2, max(target_h, 2.0) / 2
    for _ in range(3):
        xs = ax * u * cos_t - ay * v * sin_t
        ys = ax * u * sin_t + ay * v * cos_t
        ax *= target_w / max(float(np.ptp(xs)) + 1, 1.0)
        ay *= target_h / max(float(np.ptp(ys)) + 1, 1.0)
    xs = ax * u * cos_t - ay * v * sin_t
    ys = ax * u * sin_t + ay * v * cos_t
    xs, ys = xs - xs.min(), ys - ys.min()
    canvas = np.zeros((int(ys.max()) + 2, int(xs.max()) + 2), np.uint8)
    shift = 4  # sub-pixel precision of cv2.fillPoly
    pts = np.round(np.stack([xs, ys], 1) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(canvas, [pts], 1, cv2.LINE_8, shift)
    if not canvas.any():
        canvas[0, 0] = 1
    mask = canvas.astype(bool)
    x0, y0, x1, y1 = mask_to_box(mask)
    return mask[y0 : y1 + 1, x0 : x1 + 1]


def _fit_blob(
    rng: np.random.Generator,
    target_w: float,
    target_h: float,
    max_w: int,
    max_h: int,
) -> np.ndarray:
    """A :func:`_blob` shrunk (keeping its shape) until it fits ``max``."""
    mask = _blob(rng, target_w, target_h)
    h, w = mask.shape
    if w > max_w or h > max_h:
        scale = min(max_w / w, max_h / h)
        size = (max(1, int(w * scale)), max(1, int(h * scale)))
        mask = cv2.resize(
            mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST
        ).astype(bool)
        x0, y0, x1, y1 = mask_to_box(mask)
        mask = mask[y0 : y1 + 1, x0 : x1 + 1]
    return mask


def _blob_in_image(
    rng: np.random.Generator,
    area: float,
    ratio: float,
    width: int,
    height: int,
) -> np.ndarray:
    """A blob of about ``area`` pixels and aspect ratio ``ratio`` (w / h),
    shrunk to fit a ``width x height`` image with a one-pixel margin."""
    return _fit_blob(
        rng,
        math.sqrt(area * ratio),
        math.sqrt(area / ratio),
        width - 2,
        height - 2,
    )


def _boxes_overlap(a: Sequence[int], b: Sequence[int], gap: int) -> bool:
    """Whether two inclusive boxes are closer than ``gap`` pixels."""
    return not (
        a[2] + gap < b[0]
        or b[2] + gap < a[0]
        or a[3] + gap < b[1]
        or b[3] + gap < a[1]
    )
