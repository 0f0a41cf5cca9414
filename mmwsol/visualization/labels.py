"""Text labels with a background, placed so that they never overlap.

The geometry (:func:`text_box_size`, :func:`stack_labels`,
:func:`place_labels`) is pure and returns rectangles, so tests can check
the layout without reading pixels; :func:`draw_label` paints one label.
Rectangles are ``(x0, y0, x1, y1)`` half-open pixel ranges
(``x0 <= x < x1``).
"""

from typing import List, Sequence, Tuple

import cv2
import numpy as np

Rect = Tuple[int, int, int, int]

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Pixels between the text and the edge of its background.
PAD = 3


def font_scale_for(height: int, width: int) -> float:
    """A font scale readable at the image size (0.5 at 384 px)."""
    return max(0.5, min(height, width) / 768.0)


def text_box_size(
    text: str, font_scale: float, thickness: int = 1
) -> Tuple[int, int]:
    """Width and height of a label: the text plus :data:`PAD` each side."""
    (tw, th), base = cv2.getTextSize(text, FONT, font_scale, thickness)
    return tw + 2 * PAD, th + base + 2 * PAD


def rects_overlap(a: Rect, b: Rect) -> bool:
    """Whether two half-open rectangles share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def stack_labels(
    sizes: Sequence[Tuple[int, int]], origin: Tuple[int, int] = (0, 0)
) -> List[Rect]:
    """One label under the other, left-aligned at ``origin``.

    Args:
        sizes (Sequence[tuple[int, int]]): ``(width, height)`` per label.
        origin (tuple[int, int]): Top left of the first label.

    Returns:
        list[Rect]: The rectangle of each label.
    """
    x, y = int(origin[0]), int(origin[1])
    rects = []
    for w, h in sizes:
        rects.append((x, y, x + int(w), y + int(h)))
        y += int(h)
    return rects


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _candidates(x: int, y: int, h: int, height: int):
    """Top edges to try: ``y``, then alternately below and above it."""
    yield y
    for step in range(1, max(1, height // max(h, 1)) + 1):
        for sign in (1, -1):
            cand = y + sign * step * h
            if 0 <= cand <= height - h:
                yield cand


def place_labels(
    sizes: Sequence[Tuple[int, int]],
    anchors: Sequence[Tuple[int, int]],
    image_size: Tuple[int, int],
) -> List[Rect]:
    """Place labels near their anchors, inside the image, without overlap.

    Each label goes, in order, to its anchor (its desired top-left corner,
    clamped into the image); if that spot meets a label placed before, it
    slides down or up by label heights to the nearest free spot in its
    column, then any free row at the left edge. Only when no spot is free
    (more labels than the image holds) does a label overlap another.

    Args:
        sizes (Sequence[tuple[int, int]]): ``(width, height)`` per label.
        anchors (Sequence[tuple[int, int]]): Desired top-left per label.
        image_size (tuple[int, int]): ``(height, width)`` of the image.

    Returns:
        list[Rect]: The rectangle of each label.
    """
    if len(sizes) != len(anchors):
        raise ValueError(
            f'{len(sizes)} label sizes for {len(anchors)} anchors'
        )
    height, width = int(image_size[0]), int(image_size[1])
    placed: List[Rect] = []
    for (w, h), (ax, ay) in zip(sizes, anchors):
        w, h = int(w), int(h)
        x = _clamp(int(ax), 0, max(0, width - w))
        y = _clamp(int(ay), 0, max(0, height - h))
        spots = [(x, cand) for cand in _candidates(x, y, h, height)]
        spots += [(0, row * h) for row in range(max(1, height // h))]
        rect = None
        for sx, sy in spots:
            cand = (sx, sy, sx + w, sy + h)
            if not any(rects_overlap(cand, other) for other in placed):
                rect = cand
                break
        placed.append(rect or (x, y, x + w, y + h))
    return placed


def label_anchor_above(
    box: Sequence[float], size: Tuple[int, int]
) -> Tuple[int, int]:
    """Top-left that puts a label just above a box's top-left corner."""
    return int(box[0]), int(box[1]) - int(size[1])


def draw_label(
    image: np.ndarray,
    text: str,
    rect: Rect,
    background: Tuple[int, int, int],
    foreground: Tuple[int, int, int],
    font_scale: float,
    thickness: int = 1,
) -> None:
    """Paint a filled rectangle and the text in it (in place).

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 image, changed in place.
        text (str): The text.
        rect (Rect): Its rectangle (from :func:`stack_labels` or
            :func:`place_labels`).
        background (tuple): Fill colour.
        foreground (tuple): Text colour.
        font_scale (float): OpenCV font scale.
        thickness (int): Text thickness. Defaults to 1.
    """
    x0, y0, x1, y1 = rect
    cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), background, -1)
    _, base = cv2.getTextSize(text, FONT, font_scale, thickness)
    cv2.putText(
        image,
        text,
        (x0 + PAD, y1 - PAD - base),
        FONT,
        font_scale,
        foreground,
        thickness,
        cv2.LINE_AA,
    )
