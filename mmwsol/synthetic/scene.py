"""Backgrounds, body texture, clutter and decoys of the synthetic images."""

import math
from typing import Sequence, Tuple

import cv2
import numpy as np

from .shapes import _blob_in_image, _boxes_overlap

# Body texture colours (RGB) shared by every class, jittered per image.
_BODY_LIGHT = np.array([205.0, 168.0, 118.0], dtype=np.float32)
_BODY_DARK = np.array([105.0, 70.0, 42.0], dtype=np.float32)


def _smooth_noise(
    rng: np.random.Generator,
    height: int,
    width: int,
    grid: int,
    channels: int = 1,
) -> np.ndarray:
    """Low-frequency noise in [-1, 1] (a random grid upsampled bicubically)."""
    small = rng.uniform(-1, 1, size=(grid, grid, channels)).astype(np.float32)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return big.reshape(height, width, channels)


def _muted_color(
    rng: np.random.Generator, low: float = 45.0, high: float = 200.0
) -> np.ndarray:
    """A greyish random colour (RGB float), never as saturated as a part."""
    grey = rng.uniform(low, high)
    return np.clip(grey + rng.uniform(-30, 30, size=3), 0, 255).astype(
        np.float32
    )


def _stripes(
    rng: np.random.Generator, height: int, width: int, period: float
) -> np.ndarray:
    """A sinusoidal stripe pattern in [0, 1] with random angle and phase."""
    angle = rng.uniform(0, np.pi)
    phase = rng.uniform(0, 2 * np.pi)
    xs = np.arange(width, dtype=np.float32) * (
        2 * np.pi * math.cos(angle) / period
    )
    ys = np.arange(height, dtype=np.float32) * (
        2 * np.pi * math.sin(angle) / period
    )
    return 0.5 + 0.5 * np.sin(ys[:, None] + xs[None, :] + np.float32(phase))


def _body_texture(
    rng: np.random.Generator, height: int, width: int
) -> np.ndarray:
    """Full-image body ("fur") texture shared by every class.

    Args:
        rng (np.random.Generator): Random generator.
        height (int): Image height.
        width (int): Image width.

    Returns:
        np.ndarray: ``(H, W, 3)`` float32 RGB texture.
    """
    light = _BODY_LIGHT + rng.uniform(-15, 15, size=3).astype(np.float32)
    dark = _BODY_DARK + rng.uniform(-15, 15, size=3).astype(np.float32)
    period = rng.uniform(5.0, 8.0) * min(height, width) / 128.0
    pattern = _stripes(rng, height, width, max(period, 3.0))
    pattern += 0.35 * _smooth_noise(rng, height, width, 6)[..., 0]
    pattern = np.clip(pattern, 0, 1)[..., None]
    return dark + pattern * (light - dark)


def _background(
    rng: np.random.Generator, height: int, width: int
) -> np.ndarray:
    """Muted gradient with low-frequency colour noise (float32 RGB)."""
    start, end = _muted_color(rng), _muted_color(rng)
    angle = rng.uniform(0, 2 * np.pi)
    xs = np.arange(width, dtype=np.float32) * np.float32(math.cos(angle))
    ys = np.arange(height, dtype=np.float32) * np.float32(math.sin(angle))
    ramp = ys[:, None] + xs[None, :]
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    image = start + ramp[..., None] * (end - start)
    return image + 22.0 * _smooth_noise(rng, height, width, 4, 3)


def _draw_clutter(
    rng: np.random.Generator, image: np.ndarray, count: int
) -> None:
    """Draw ``count`` random muted shapes on a float32 RGB image in place."""
    height, width = image.shape[:2]
    size = min(height, width)
    for _ in range(count):
        kind = int(rng.integers(6))
        color = tuple(float(c) for c in _muted_color(rng, 30.0, 215.0))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        radius = rng.uniform(0.04, 0.13) * size
        center = (int(cx), int(cy))
        if kind == 0:  # disk
            cv2.circle(image, center, int(radius), color, -1, cv2.LINE_AA)
        elif kind == 1:  # ring
            cv2.circle(
                image,
                center,
                int(radius),
                color,
                int(rng.integers(1, 4)),
                cv2.LINE_AA,
            )
        elif kind == 2:  # tilted bar
            rect = (
                (cx, cy),
                (2 * radius, rng.uniform(0.2, 0.6) * radius),
                rng.uniform(0, 180),
            )
            pts = np.round(cv2.boxPoints(rect)).astype(np.int32)
            cv2.fillPoly(image, [pts], color, cv2.LINE_AA)
        elif kind == 3:  # line
            end = (
                int(cx + rng.uniform(-3, 3) * radius),
                int(cy + rng.uniform(-3, 3) * radius),
            )
            cv2.line(
                image, center, end, color, int(rng.integers(1, 4)), cv2.LINE_AA
            )
        elif kind == 4:  # triangle
            pts = np.array(center) + rng.uniform(-radius, radius, (3, 2))
            cv2.fillPoly(
                image, [np.round(pts).astype(np.int32)], color, cv2.LINE_AA
            )
        else:  # striped patch in two muted colours (stripes != object)
            w = max(int(rng.uniform(0.1, 0.25) * size), 2)
            h = max(int(rng.uniform(0.1, 0.25) * size), 2)
            x0, y0 = int(cx) % width, int(cy) % height
            x1, y1 = min(x0 + w, width), min(y0 + h, height)
            other = _muted_color(rng, 30.0, 215.0)
            stripes = _stripes(rng, y1 - y0, x1 - x0, rng.uniform(4.0, 9.0))
            image[y0:y1, x0:x1] = np.asarray(color, np.float32) + stripes[
                ..., None
            ] * (other - np.asarray(color, np.float32))


def _decoy_mask(
    rng: np.random.Generator,
    width: int,
    height: int,
    count: int,
    object_boxes: Sequence[Tuple[int, int, int, int]],
) -> np.ndarray:
    """Small blobs away from the objects, to be filled with body texture.

    Args:
        rng (np.random.Generator): Random generator.
        width (int): Image width.
        height (int): Image height.
        count (int): Number of decoys wanted (fewer if they do not fit).
        object_boxes (sequence): Inclusive boxes of the objects.

    Returns:
        np.ndarray: Boolean ``(H, W)`` mask of the decoys.
    """
    mask = np.zeros((height, width), bool)
    for _ in range(count):
        area = rng.uniform(0.01, 0.03) * width * height
        ratio = float(np.exp(rng.uniform(-0.7, 0.7)))
        local = _blob_in_image(rng, area, ratio, width, height)
        h, w = local.shape
        for _ in range(10):
            x0 = int(rng.integers(0, width - w + 1))
            y0 = int(rng.integers(0, height - h + 1))
            box = (x0, y0, x0 + w - 1, y0 + h - 1)
            if not any(
                _boxes_overlap(box, other, 4) for other in object_boxes
            ):
                mask[y0 : y0 + h, x0 : x0 + w] |= local
                break
    return mask
