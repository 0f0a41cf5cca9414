"""Embedded synthetic WSOL dataset ("parts on bodies"), generated from a seed.

Every image shows one object (two instances of the same class with a small
probability) on a cluttered background. An object is

* a **large body** shared by all classes: an irregular blob whose size,
  aspect ratio, slight tilt and position vary, filled with a striped
  "fur" texture whose colours come from one distribution for every class;
* a **small class-discriminative part** drawn inside the body: a shape with a
  class-specific colour and outline (class ``i`` is colour ``i % 8`` and
  shape ``(i + i // 8) % 8``), covering 5-10% of the body area, at a random
  position.

The background is a muted colour gradient with low-frequency noise, random
muted shapes (disks, rings, bars, lines, triangles, striped patches) and a
few small **decoys**: fragments cut from the same body texture that are not
objects. So "body texture = object" is only mostly true, while the body stays
the large connected textured region that a map expanding from the part can
recover. The GT box is the bounding box of the whole object (body + part)
and the GT mask is the whole object. Since only the part tells classes
apart, a plain CAM fires on the part and under-covers the box; methods that
expand the map have something to gain.

Output layout (the community wsolevaluation metadata format)::

    OUT/images/<class_dir>/<split>_<index:06d>.png
    OUT/masks/<class_dir>/<split>_<index:06d>_inst<k>.png   (val and test)
    OUT/masks/<class_dir>/<split>_<index:06d>_ignore.png    (val and test)
    OUT/metadata/<split>/image_ids.txt          path
    OUT/metadata/<split>/class_labels.txt       path,label
    OUT/metadata/<split>/image_sizes.txt        path,w,h
    OUT/metadata/<split>/localization.txt       path,x0,y0,x1,y1 (per box)
    OUT/metadata/<split>/localization_mask.txt  path,mask,ignore (val, test)
    OUT/classes.txt  OUT/meta.json  OUT/README.md

Boxes are integer pixel coordinates, inclusive (``x1 <= w - 1``): the tight
bounding box of the object's mask. Masks are 0/255 PNGs at image size, one
per instance; the first line of an image carries its ignore PNG, the next
instance lines have an empty third field. The ignore PNG marks the band of
``ignore_band`` pixels just outside the object (default 0: the rendering has
hard edges, so there is no ambiguous pixel and the ignore PNG is all zeros).

Determinism: each image is drawn from its own generator seeded by
``(seed, split, class, index)``, so the same arguments give the same bytes
(with the same OpenCV PNG encoder) whatever the number of worker threads,
and adding images to one split never changes the others. This module
needs only numpy and OpenCV, so that the command line tool starts fast.
"""

import json
import math
import os
import os.path as osp
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = [
    'GENERATOR_VERSION',
    'SPLITS',
    'SyntheticSpec',
    'SYNTHETIC_DEFAULTS',
    'SyntheticSample',
    'PART_COLORS',
    'PART_SHAPES',
    'class_names',
    'class_dirs',
    'mask_to_box',
    'render_sample',
    'generate_synthetic_dataset',
    'resolve_params',
    'is_up_to_date',
    'make_preview_grid',
]

#: Bumped whenever the drawing code changes the pixels for the same seed.
GENERATOR_VERSION = 1
_GENERATOR_NAME = 'mmwsol.datasets.synthetic'
SPLITS = ('train', 'val', 'test')
_SPLIT_CODE = {'train': 0, 'val': 1, 'test': 2}
_MASK_SPLITS = ('val', 'test')

#: Class colours of the discriminative part (RGB), all saturated so that
#: none of them occurs in the muted background or in the body texture.
PART_COLORS: Dict[str, Tuple[int, int, int]] = {
    'red': (225, 25, 30),
    'green': (20, 185, 45),
    'blue': (35, 70, 230),
    'yellow': (245, 220, 20),
    'magenta': (215, 35, 205),
    'cyan': (20, 205, 215),
    'orange': (250, 135, 10),
    'white': (250, 250, 250),
}
PART_SHAPES = (
    'circle',
    'square',
    'triangle',
    'cross',
    'diamond',
    'ring',
    'star',
    'bar',
)
_MAX_CLASSES = len(PART_COLORS) * len(PART_SHAPES)

# Body texture colours (RGB) shared by every class, jittered per image.
_BODY_LIGHT = np.array([205.0, 168.0, 118.0], dtype=np.float32)
_BODY_DARK = np.array([105.0, 70.0, 42.0], dtype=np.float32)


@dataclass(frozen=True)
class SyntheticSpec:
    """Parameters of the synthetic dataset; the defaults are the demo set.

    Configs, the command line tool and the tests all read their defaults from
    here (see :data:`SYNTHETIC_DEFAULTS`).

    Args:
        num_classes (int): Number of classes (1 to 64).
        num_train (int): Training images **per class**.
        num_val (int): Validation (train-fullsup) images per class.
        num_test (int): Test images per class.
        image_size (tuple[int, int]): Nominal ``(width, height)``.
        size_jitter (float): When > 0, each image's width and height are
            drawn independently from ``size * U(1 - j, 1 + j)``, so images
            have varied, non-square sizes.
        object_scale (tuple[float, float]): Range of the object's box area
            as a fraction of the image area (single-instance images).
        aspect_ratio (tuple[float, float]): Range of the box aspect ratio
            ``w / h``, sampled log-uniformly.
        part_fraction (tuple[float, float]): Range of the part area as a
            fraction of the body area.
        two_instance_prob (float): Probability of two instances of the class
            (each then gets ``two_instance_scale``).
        two_instance_scale (tuple[float, float]): Box area range of each of
            two instances, as a fraction of the image area.
        num_clutter (tuple[int, int]): Inclusive range of the number of
            background clutter shapes.
        num_decoys (tuple[int, int]): Inclusive range of the number of body
            texture fragments in the background.
        noise_std (float): Standard deviation of the pixel noise (0-255).
        ignore_band (int): Width in pixels of the band outside the object
            written as "ignore" (0: ignore masks are all zeros).
        seed (int): Seed of the whole set.
    """

    num_classes: int = 6
    num_train: int = 100
    num_val: int = 20
    num_test: int = 30
    image_size: Tuple[int, int] = (128, 128)
    size_jitter: float = 0.0
    object_scale: Tuple[float, float] = (0.15, 0.6)
    aspect_ratio: Tuple[float, float] = (0.5, 2.0)
    part_fraction: Tuple[float, float] = (0.05, 0.10)
    two_instance_prob: float = 0.1
    two_instance_scale: Tuple[float, float] = (0.08, 0.22)
    num_clutter: Tuple[int, int] = (4, 9)
    num_decoys: Tuple[int, int] = (0, 2)
    noise_std: float = 6.0
    ignore_band: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        _validate_spec(self)


def _validate_spec(spec: SyntheticSpec) -> None:
    """Raise ``ValueError`` for parameters that cannot make a dataset."""
    if not 1 <= spec.num_classes <= _MAX_CLASSES:
        raise ValueError(
            f'num_classes must be in [1, {_MAX_CLASSES}], '
            f'got {spec.num_classes}'
        )
    for name in ('num_train', 'num_val', 'num_test', 'ignore_band', 'seed'):
        if getattr(spec, name) < 0:
            raise ValueError(f'{name} must be >= 0, got {getattr(spec, name)}')
    width, height = spec.image_size
    if min(width, height) < 32:
        raise ValueError(
            f'image_size must be at least 32x32, got {spec.image_size}'
        )
    if not 0 <= spec.size_jitter < 0.5:
        raise ValueError(
            f'size_jitter must be in [0, 0.5), got {spec.size_jitter}'
        )
    if not 0 <= spec.two_instance_prob <= 1:
        raise ValueError(
            'two_instance_prob must be in [0, 1], got '
            f'{spec.two_instance_prob}'
        )
    for name in ('object_scale', 'part_fraction', 'two_instance_scale'):
        low, high = getattr(spec, name)
        if not 0 < low <= high < 1:
            raise ValueError(
                f'{name} must satisfy 0 < low <= high < 1, got {(low, high)}'
            )
    low, high = spec.aspect_ratio
    if not 0 < low <= high:
        raise ValueError(
            f'aspect_ratio must satisfy 0 < low <= high, got {(low, high)}'
        )
    for name in ('num_clutter', 'num_decoys'):
        low, high = getattr(spec, name)
        if not 0 <= low <= high:
            raise ValueError(
                f'{name} must satisfy 0 <= low <= high, got {(low, high)}'
            )


#: The demo defaults as a plain dict (for configs and the command line).
SYNTHETIC_DEFAULTS: Dict[str, object] = asdict(SyntheticSpec())


@dataclass
class SyntheticSample:
    """One rendered image with its annotations.

    Attributes:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        instance_masks (list[np.ndarray]): Boolean ``(H, W)`` mask of each
            object instance (body + part).
        part_masks (list[np.ndarray]): Boolean ``(H, W)`` mask of each
            instance's discriminative part (a subset of its instance mask).
        boxes (list[tuple[int, int, int, int]]): Inclusive
            ``(x0, y0, x1, y1)`` box of each instance.
        decoy_mask (np.ndarray): Boolean ``(H, W)`` mask of the background
            fragments of body texture (never overlapping an object).
    """

    image: np.ndarray
    instance_masks: List[np.ndarray]
    part_masks: List[np.ndarray]
    boxes: List[Tuple[int, int, int, int]]
    decoy_mask: np.ndarray = field(repr=False)


# --------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------
def class_names(num_classes: int) -> List[str]:
    """Names ``<colour>_<shape>`` of the first ``num_classes`` classes.

    Class ``i`` has part colour ``i % 8`` and part shape ``(i + i // 8) % 8``
    so that the first 8 classes differ in both colour and shape, and all 64
    (colour, shape) pairs are distinct.

    Args:
        num_classes (int): Number of classes, 1 to 64.

    Returns:
        list[str]: The class names, e.g. ``['red_circle', 'green_square']``.
    """
    if not 1 <= num_classes <= _MAX_CLASSES:
        raise ValueError(
            f'num_classes must be in [1, {_MAX_CLASSES}], got {num_classes}'
        )
    colors = list(PART_COLORS)
    return [
        f'{colors[i % len(colors)]}_'
        f'{PART_SHAPES[(i + i // len(colors)) % len(PART_SHAPES)]}'
        for i in range(num_classes)
    ]


def class_dirs(num_classes: int) -> List[str]:
    """Folder names ``<index:03d>_<name>`` of the classes.

    Args:
        num_classes (int): Number of classes.

    Returns:
        list[str]: e.g. ``['000_red_circle', '001_green_square']``.
    """
    names = class_names(num_classes)
    return [f'{i:03d}_{name}' for i, name in enumerate(names)]


def _class_part(class_index: int) -> Tuple[np.ndarray, str]:
    """Colour (RGB float) and shape name of a class's part."""
    color_name, shape = class_names(class_index + 1)[class_index].split('_')
    return np.array(PART_COLORS[color_name], dtype=np.float32), shape


# --------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------
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


def _boxes_overlap(a: Sequence[int], b: Sequence[int], gap: int) -> bool:
    """Whether two inclusive boxes are closer than ``gap`` pixels."""
    return not (
        a[2] + gap < b[0]
        or b[2] + gap < a[0]
        or a[3] + gap < b[1]
        or b[3] + gap < a[1]
    )


def _sample_body_layout(
    rng: np.random.Generator, width: int, height: int, spec: SyntheticSpec
) -> List[Tuple[np.ndarray, int, int]]:
    """Body masks and their top-left positions for the object instance(s).

    Args:
        rng (np.random.Generator): Random generator.
        width (int): Image width.
        height (int): Image height.
        spec (SyntheticSpec): Dataset parameters.

    Returns:
        list[tuple[np.ndarray, int, int]]: ``(local_mask, x0, y0)`` per
        instance; one or two entries, never overlapping.
    """
    two = rng.random() < spec.two_instance_prob
    scale_range = spec.two_instance_scale if two else spec.object_scale
    log_ar = np.log(spec.aspect_ratio)
    layout: List[Tuple[np.ndarray, int, int]] = []
    for instance in range(2 if two else 1):
        area = rng.uniform(*scale_range) * width * height
        ratio = float(np.exp(rng.uniform(*log_ar)))
        local = _fit_blob(
            rng,
            math.sqrt(area * ratio),
            math.sqrt(area / ratio),
            width - 2,
            height - 2,
        )
        h, w = local.shape
        placed = False
        for _ in range(20):
            x0 = int(rng.integers(0, width - w + 1))
            y0 = int(rng.integers(0, height - h + 1))
            box = (x0, y0, x0 + w - 1, y0 + h - 1)
            if all(
                not _boxes_overlap(
                    box, (ox, oy, ox + m.shape[1] - 1, oy + m.shape[0] - 1), 3
                )
                for m, ox, oy in layout
            ):
                placed = True
                break
        if placed:
            layout.append((local, x0, y0))
        elif instance == 0:  # cannot happen: an empty image always fits
            raise RuntimeError('could not place the first object')
    return layout


def _place_part(
    rng: np.random.Generator, body: np.ndarray, shape: str, fraction: float
) -> np.ndarray:
    """Draw a part of ``shape`` fully inside a body mask.

    Args:
        rng (np.random.Generator): Random generator.
        body (np.ndarray): Boolean body mask (cropped to its box).
        shape (str): Part shape name.
        fraction (float): Wanted part area / body area.

    Returns:
        np.ndarray: Boolean part mask of the body's shape, a subset of it.
    """
    radius = math.sqrt(fraction * body.sum() / _unit_area(shape))
    padded = np.pad(body.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    while True:
        ys, xs = np.nonzero(dist >= radius + 1.0)
        if xs.size or radius <= 1.5:
            break
        radius *= 0.85
    if xs.size == 0:  # a sliver of a body: put the part at its deepest point
        ys, xs = np.nonzero(dist >= dist.max())
    pick = int(rng.integers(xs.size))
    canvas = np.zeros(body.shape, np.uint8)
    _draw_shape(
        canvas,
        shape,
        (float(xs[pick]), float(ys[pick])),
        radius,
        rng.uniform(0, 2 * np.pi),
    )
    part = (canvas > 0) & body
    if not part.any():
        part[ys[pick], xs[pick]] = True
    return part


# --------------------------------------------------------------------------
# Appearance helpers
# --------------------------------------------------------------------------
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
        local = _fit_blob(
            rng,
            math.sqrt(area * ratio),
            math.sqrt(area / ratio),
            width - 2,
            height - 2,
        )
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


def _image_size(
    rng: np.random.Generator, spec: SyntheticSpec
) -> Tuple[int, int]:
    """Width and height of one image (jittered when ``size_jitter > 0``)."""
    width, height = spec.image_size
    if spec.size_jitter > 0:
        low, high = 1 - spec.size_jitter, 1 + spec.size_jitter
        width = int(round(width * rng.uniform(low, high)))
        height = int(round(height * rng.uniform(low, high)))
    return max(width, 32), max(height, 32)


# --------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------
def render_sample(
    rng: np.random.Generator,
    class_index: int,
    spec: Optional[SyntheticSpec] = None,
) -> SyntheticSample:
    """Render one image of class ``class_index`` with its annotations.

    The class only decides the part's shape and colour: rendered from the
    same generator state, two classes give the same image outside their
    parts (same size, body, background, clutter, decoys and noise).

    Args:
        rng (np.random.Generator): Random generator (consumed).
        class_index (int): Class of the object, ``0 <= i < num_classes``.
        spec (SyntheticSpec, optional): Parameters. Defaults to the demo set.

    Returns:
        SyntheticSample: The image, instance and part masks and boxes.
    """
    spec = spec or SyntheticSpec()
    if not 0 <= class_index < spec.num_classes:
        raise ValueError(
            f'class_index {class_index} is outside [0, {spec.num_classes})'
        )
    # Independent streams: the class (part shape and colour) only changes
    # what ``part_rng`` draws, so outside the parts the image of a seed is
    # the same for every class.
    geo_rng, part_rng, look_rng = rng.spawn(3)
    width, height = _image_size(geo_rng, spec)
    part_color, part_shape = _class_part(class_index)

    layout = _sample_body_layout(geo_rng, width, height, spec)
    instance_masks, part_masks, boxes = [], [], []
    for local, x0, y0 in layout:
        h, w = local.shape
        part_local = _place_part(
            part_rng, local, part_shape, part_rng.uniform(*spec.part_fraction)
        )
        body = np.zeros((height, width), bool)
        body[y0 : y0 + h, x0 : x0 + w] = local
        part = np.zeros((height, width), bool)
        part[y0 : y0 + h, x0 : x0 + w] = part_local
        instance_masks.append(body)  # the part lies inside the body
        part_masks.append(part)
        boxes.append(mask_to_box(body))

    image = _background(look_rng, height, width)
    _draw_clutter(
        look_rng,
        image,
        int(look_rng.integers(spec.num_clutter[0], spec.num_clutter[1] + 1)),
    )
    texture = _body_texture(look_rng, height, width)
    decoys = _decoy_mask(
        look_rng,
        width,
        height,
        int(look_rng.integers(spec.num_decoys[0], spec.num_decoys[1] + 1)),
        boxes,
    )
    image[decoys] = texture[decoys]
    for body in instance_masks:
        image[body] = texture[body]
    for part in part_masks:
        color = part_color + part_rng.uniform(-12, 12, size=3).astype(
            np.float32
        )
        image[part] = color
        # A dark outline makes the part's shape readable at low resolution.
        eroded = cv2.erode(part.astype(np.uint8), np.ones((3, 3), np.uint8))
        image[part & ~eroded.astype(bool)] = 0.45 * color
    if spec.noise_std > 0:
        image += look_rng.standard_normal(
            image.shape, dtype=np.float32
        ) * np.float32(spec.noise_std)
    image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return SyntheticSample(image, instance_masks, part_masks, boxes, decoys)


def _ignore_mask(
    instance_masks: Sequence[np.ndarray], band: int
) -> np.ndarray:
    """Band of ``band`` pixels outside the union of the instance masks."""
    union = np.any(np.stack(instance_masks), 0)
    if band <= 0:
        return np.zeros(union.shape, bool)
    kernel = np.ones((2 * band + 1, 2 * band + 1), np.uint8)
    grown = cv2.dilate(union.astype(np.uint8), kernel).astype(bool)
    return grown & ~union


# --------------------------------------------------------------------------
# Whole dataset
# --------------------------------------------------------------------------
def resolve_params(**overrides) -> Dict[str, object]:
    """Full, JSON-ready parameters: the defaults updated by ``overrides``.

    Args:
        **overrides: Any :class:`SyntheticSpec` field. ``image_size`` may be
            an int (square) or ``(width, height)``.

    Returns:
        dict: All fields, tuples as lists (as they are stored in
        ``meta.json``).

    Raises:
        TypeError: For an unknown parameter name.
        ValueError: For an invalid value.
    """
    return json.loads(json.dumps(asdict(_make_spec(**overrides))))


def _make_spec(**overrides) -> SyntheticSpec:
    """Build a validated :class:`SyntheticSpec` from keyword overrides."""
    known = {f.name for f in fields(SyntheticSpec)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(
            f'unknown synthetic dataset parameter(s) {unknown}; '
            f'known: {sorted(known)}'
        )
    values = {k: v for k, v in overrides.items() if v is not None}
    size = values.get('image_size')
    if isinstance(size, (int, np.integer)):
        values['image_size'] = (int(size), int(size))
    for f in fields(SyntheticSpec):
        if f.name in values and isinstance(values[f.name], list):
            values[f.name] = tuple(values[f.name])
    if 'image_size' in values:
        values['image_size'] = tuple(int(v) for v in values['image_size'])
        if len(values['image_size']) != 2:
            raise ValueError(
                f'image_size must be an int or (width, height), got {size}'
            )
    return SyntheticSpec(**values)


def _read_meta(out_dir: str) -> Optional[dict]:
    """``OUT/meta.json`` as a dict, or None when absent or unreadable."""
    path = osp.join(out_dir, 'meta.json')
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_up_to_date(out_dir: str, **params) -> bool:
    """Whether ``out_dir`` holds a complete set made with these parameters.

    Args:
        out_dir (str): Output root.
        **params: Generation parameters (missing ones take the defaults).

    Returns:
        bool: True if ``meta.json`` names this generator version and the
        same resolved parameters, and every listed image exists.
    """
    meta = _read_meta(out_dir)
    if (
        not meta
        or meta.get('generator') != _GENERATOR_NAME
        or meta.get('generator_version') != GENERATOR_VERSION
    ):
        return False
    if meta.get('params') != resolve_params(**params):
        return False
    for split in SPLITS:
        ids_file = osp.join(out_dir, 'metadata', split, 'image_ids.txt')
        if not osp.isfile(ids_file):
            return False
        with open(ids_file) as f:
            count = sum(1 for line in f if line.strip())
        if count != meta.get('num_images', {}).get(split):
            return False
    return True


def _write_png(path: str, array: np.ndarray) -> None:
    """Write a uint8 array as PNG (RGB arrays are converted to BGR)."""
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode('.png', array, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError(f'could not encode {path} as PNG')
    with open(path, 'wb') as f:
        f.write(buffer.tobytes())


def _write_lines(path: str, lines: Sequence[str]) -> None:
    """Write one line per entry, each ending with a newline."""
    with open(path, 'w', newline='\n') as f:
        f.writelines(line + '\n' for line in lines)


def _readme_text(spec: SyntheticSpec, names: Sequence[str]) -> str:
    """Short human description written to ``OUT/README.md``."""
    return (
        '# mmwsol synthetic WSOL dataset\n\n'
        'Generated by `mmwsol.datasets.synthetic` '
        f'(generator version {GENERATOR_VERSION}, seed {spec.seed}); '
        'the parameters are in `meta.json`. Regenerate with\n'
        '`python tools/dataset_converters/make_synthetic.py --out <dir>`.\n\n'
        'Each image: a large striped body shared by all classes, with a small '
        'class-specific part (colour + shape) on it, on a cluttered '
        'background with decoy fragments of body texture. Boxes and masks '
        'cover the whole object (body + part).\n\n'
        f'Classes ({len(names)}): ' + ', '.join(names) + '\n\n'
        'Layout: `images/`, `masks/` (val and test), `metadata/<split>/` with '
        '`image_ids.txt`, `class_labels.txt`, `image_sizes.txt`, '
        '`localization.txt` (boxes, inclusive pixel coordinates) and, for '
        'val and test, `localization_mask.txt` (`image,mask,ignore`).\n'
    )


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    """Remove a previous set in ``out_dir`` (only the entries it writes).

    Raises:
        FileExistsError: If ``out_dir`` holds data that this generator did not
            write (no ``meta.json``) and ``overwrite`` is False.
    """
    owned = (
        'images',
        'masks',
        'metadata',
        'classes.txt',
        'meta.json',
        'README.md',
    )
    present = [n for n in owned if osp.lexists(osp.join(out_dir, n))]
    meta = _read_meta(out_dir) or {}
    ours = meta.get('generator') == _GENERATOR_NAME
    if present and not ours and not overwrite:
        raise FileExistsError(
            f'{out_dir} already contains {present} but no meta.json of the '
            'synthetic generator; pass overwrite=True (--force) to replace'
        )
    # meta.json goes first: an interrupted run is then never "up to date".
    for name in ('meta.json',) + owned[:-1]:
        path = osp.join(out_dir, name)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        elif osp.lexists(path):
            os.remove(path)


_METADATA_FILES = {
    'ids': 'image_ids.txt',
    'labels': 'class_labels.txt',
    'sizes': 'image_sizes.txt',
    'boxes': 'localization.txt',
    'masks': 'localization_mask.txt',
}


def _write_sample(
    out_dir: str,
    spec: SyntheticSpec,
    dirs: Sequence[str],
    split: str,
    label: int,
    index: int,
) -> Dict[str, List[str]]:
    """Render and write one image (and its masks for val/test).

    Args:
        out_dir (str): Output root.
        spec (SyntheticSpec): Dataset parameters.
        dirs (sequence[str]): Class folder names.
        split (str): Split name.
        label (int): Class index.
        index (int): Index of the image within its class and split.

    Returns:
        dict[str, list[str]]: The image's metadata lines, keyed as
        :data:`_METADATA_FILES`.
    """
    rng = np.random.default_rng([spec.seed, _SPLIT_CODE[split], label, index])
    sample = render_sample(rng, label, spec)
    stem = f'{dirs[label]}/{split}_{index:06d}'
    image_id = stem + '.png'
    _write_png(osp.join(out_dir, 'images', image_id), sample.image)
    height, width = sample.image.shape[:2]
    entry = {
        'ids': [image_id],
        'labels': [f'{image_id},{label}'],
        'sizes': [f'{image_id},{width},{height}'],
        'boxes': [
            f'{image_id},{x0},{y0},{x1},{y1}'
            for x0, y0, x1, y1 in sample.boxes
        ],
        'masks': [],
    }
    if split in _MASK_SPLITS:
        ignore_rel = f'{stem}_ignore.png'
        ignore = _ignore_mask(sample.instance_masks, spec.ignore_band)
        _write_png(
            osp.join(out_dir, 'masks', ignore_rel),
            ignore.astype(np.uint8) * 255,
        )
        for k, mask in enumerate(sample.instance_masks):
            mask_rel = f'{stem}_inst{k}.png'
            _write_png(
                osp.join(out_dir, 'masks', mask_rel),
                mask.astype(np.uint8) * 255,
            )
            entry['masks'].append(
                f'{image_id},{mask_rel},{ignore_rel if k == 0 else ""}'
            )
    return entry


def generate_synthetic_dataset(
    out_dir: str,
    num_classes: int = SYNTHETIC_DEFAULTS['num_classes'],
    num_train: int = SYNTHETIC_DEFAULTS['num_train'],
    num_val: int = SYNTHETIC_DEFAULTS['num_val'],
    num_test: int = SYNTHETIC_DEFAULTS['num_test'],
    image_size: Union[int, Tuple[int, int]] = SYNTHETIC_DEFAULTS['image_size'],
    seed: int = SYNTHETIC_DEFAULTS['seed'],
    overwrite: bool = False,
    num_workers: Optional[int] = None,
    **options,
) -> dict:
    """Generate the synthetic WSOL dataset into ``out_dir``.

    Anything this generator wrote before in ``out_dir`` is replaced; the
    ``meta.json`` is written last, so an interrupted run is detected by
    :func:`is_up_to_date`.

    Args:
        out_dir (str): Output root (created if needed).
        num_classes (int): Number of classes. Defaults to 6.
        num_train (int): Train images per class. Defaults to 100.
        num_val (int): Val images per class. Defaults to 20.
        num_test (int): Test images per class. Defaults to 30.
        image_size (int | tuple[int, int]): Side or ``(width, height)``.
            Defaults to 128.
        seed (int): Seed; the same arguments give the same files.
        overwrite (bool): Replace ``images/``, ``masks/`` and ``metadata/``
            even when ``out_dir`` has no ``meta.json`` of this generator.
        num_workers (int, optional): Threads rendering and writing images
            (OpenCV, numpy and file writes release the GIL). The output does
            not depend on it. Defaults to ``min(4, cpu_count)``.
        **options: Other :class:`SyntheticSpec` fields (``size_jitter``,
            ``two_instance_prob``, ``ignore_band``, ...).

    Returns:
        dict: Summary with ``out_dir``, ``classes``, ``num_images`` and
        ``num_instances`` per split and ``params`` (as in ``meta.json``).
    """
    spec = _make_spec(
        num_classes=num_classes,
        num_train=num_train,
        num_val=num_val,
        num_test=num_test,
        image_size=image_size,
        seed=seed,
        **options,
    )
    os.makedirs(out_dir, exist_ok=True)
    _prepare_out_dir(out_dir, overwrite)
    names = class_names(spec.num_classes)
    dirs = class_dirs(spec.num_classes)
    per_class = {
        'train': spec.num_train,
        'val': spec.num_val,
        'test': spec.num_test,
    }
    for cls_dir in dirs:
        os.makedirs(osp.join(out_dir, 'images', cls_dir), exist_ok=True)
        os.makedirs(osp.join(out_dir, 'masks', cls_dir), exist_ok=True)
    if num_workers is None:
        num_workers = min(4, os.cpu_count() or 1)
    num_images, num_instances = {}, {}
    with ThreadPoolExecutor(max(1, num_workers)) as pool:
        for split in SPLITS:
            tasks = [
                (split, label, index)
                for label in range(len(dirs))
                for index in range(per_class[split])
            ]
            # map() keeps the task order, so the files are deterministic.
            entries = list(
                pool.map(
                    lambda task: _write_sample(out_dir, spec, dirs, *task),
                    tasks,
                )
            )
            meta_dir = osp.join(out_dir, 'metadata', split)
            os.makedirs(meta_dir, exist_ok=True)
            for key, filename in _METADATA_FILES.items():
                if key == 'masks' and split not in _MASK_SPLITS:
                    continue
                lines = [line for entry in entries for line in entry[key]]
                _write_lines(osp.join(meta_dir, filename), lines)
            num_images[split] = len(entries)
            num_instances[split] = sum(len(e['boxes']) for e in entries)

    _write_lines(osp.join(out_dir, 'classes.txt'), names)
    with open(osp.join(out_dir, 'README.md'), 'w', newline='\n') as f:
        f.write(_readme_text(spec, names))
    summary = {
        'generator': _GENERATOR_NAME,
        'generator_version': GENERATOR_VERSION,
        'params': json.loads(json.dumps(asdict(spec))),
        'classes': names,
        'num_images': num_images,
        'num_instances': num_instances,
    }
    with open(osp.join(out_dir, 'meta.json'), 'w', newline='\n') as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write('\n')
    return dict(summary, out_dir=out_dir)


# --------------------------------------------------------------------------
# Preview
# --------------------------------------------------------------------------
def make_preview_grid(
    out_dir: str, split: str = 'val', per_class: int = 4, cell: int = 128
) -> np.ndarray:
    """A picture of a generated set: GT boxes (green) and mask outlines.

    One row per class, ``per_class`` images per row, each resized to
    ``cell x cell``. Mask outlines (yellow) are drawn where the split has
    masks.

    Args:
        out_dir (str): Output root of :func:`generate_synthetic_dataset`.
        split (str): Split to show.
        per_class (int): Images per class (row).
        cell (int): Side of each thumbnail.

    Returns:
        np.ndarray: ``(rows * cell, per_class * cell, 3)`` uint8 BGR image.
    """
    meta_dir = osp.join(out_dir, 'metadata', split)
    with open(osp.join(meta_dir, 'class_labels.txt')) as f:
        labels = [line.strip().rsplit(',', 1) for line in f if line.strip()]
    boxes: Dict[str, List[List[int]]] = {}
    with open(osp.join(meta_dir, 'localization.txt')) as f:
        for line in f:
            if line.strip():
                image_id, *coords = line.strip().split(',')
                boxes.setdefault(image_id, []).append([int(c) for c in coords])
    masks: Dict[str, List[str]] = {}
    mask_file = osp.join(meta_dir, 'localization_mask.txt')
    if osp.isfile(mask_file):
        with open(mask_file) as f:
            for line in f:
                if line.strip():
                    image_id, mask_rel, _ = line.rstrip('\n').split(',')
                    masks.setdefault(image_id, []).append(mask_rel)
    by_class: Dict[int, List[str]] = {}
    for image_id, label in labels:
        by_class.setdefault(int(label), []).append(image_id)
    rows = []
    for label in sorted(by_class):
        row = []
        for image_id in by_class[label][:per_class]:
            image = cv2.imread(osp.join(out_dir, 'images', image_id))
            height, width = image.shape[:2]
            sx, sy = cell / width, cell / height
            thumb = cv2.resize(
                image, (cell, cell), interpolation=cv2.INTER_AREA
            )
            for mask_rel in masks.get(image_id, []):
                mask = cv2.imread(
                    osp.join(out_dir, 'masks', mask_rel), cv2.IMREAD_GRAYSCALE
                )
                mask = cv2.resize(
                    mask, (cell, cell), interpolation=cv2.INTER_NEAREST
                )
                contours, _ = cv2.findContours(
                    mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
                )
                cv2.drawContours(thumb, contours, -1, (0, 230, 255), 1)
            for x0, y0, x1, y1 in boxes.get(image_id, []):
                cv2.rectangle(
                    thumb,
                    (int(x0 * sx), int(y0 * sy)),
                    (int(x1 * sx), int(y1 * sy)),
                    (0, 255, 0),
                    1,
                )
            row.append(thumb)
        row += [np.zeros((cell, cell, 3), np.uint8)] * (per_class - len(row))
        rows.append(np.concatenate(row, 1))
    return np.concatenate(rows, 0)
