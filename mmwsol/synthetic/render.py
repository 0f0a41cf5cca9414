"""One synthetic image: object layout, rendering and its annotations."""

import math
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .scene import _background, _body_texture, _decoy_mask, _draw_clutter
from .shapes import (
    _blob_in_image,
    _boxes_overlap,
    _draw_shape,
    _unit_area,
    mask_to_box,
)
from .spec import PART_COLORS, SyntheticSpec, class_names


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


def _class_part(class_index: int) -> Tuple[np.ndarray, str]:
    """Colour (RGB float) and shape name of a class's part."""
    color_name, shape = class_names(class_index + 1)[class_index].split('_')
    return np.array(PART_COLORS[color_name], dtype=np.float32), shape


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
        local = _blob_in_image(rng, area, ratio, width, height)
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
