"""Overlay of a localization result on its image."""

import cv2
import numpy as np

from mmwsol.visualization import colorize_map
from mmwsol.visualization.labels import (
    draw_label,
    font_scale_for,
    label_anchor_above,
    place_labels,
    text_box_size,
)
from mmwsol.visualization.overlay import (
    MIN_SIZE,
    scale_boxes,
    upscale_factor,
    upscale_image,
)

#: RGB box colours of the top-1, top-2... maps (green first, like the
#: predicted boxes of the test overlays).
RANK_COLORS = [
    (0, 255, 0),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 128, 0),
]


def draw_localization(
    image: np.ndarray,
    result,
    alpha: float = 0.5,
    bgr: bool = True,
    thickness: int = 2,
    min_size: int = MIN_SIZE,
) -> np.ndarray:
    """Draw the top-1 heat map, every top-k box and its class and score.

    Images whose shortest side is below ``min_size`` are upscaled first
    (bicubic, boxes scaled with them) so that the labels are readable. Each
    label sits on a filled background in its rank's colour, above its box's
    top-left corner; labels that would overlap slide to the nearest free
    spot (:func:`~mmwsol.visualization.labels.place_labels`).

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 image at the original size.
        result (LocalizationResult): The image's result.
        alpha (float): Weight of the heat map. Defaults to 0.5.
        bgr (bool): Whether ``image`` is BGR (OpenCV); the output has the
            same channel order. Defaults to True.
        thickness (int): Box line thickness. Defaults to 2.
        min_size (int): Shortest side of the output; 0 keeps the input
            size. Defaults to 384.

    Returns:
        np.ndarray: ``(H', W', 3)`` uint8 overlay.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    rgb = image[..., ::-1] if bgr else image
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    factor = upscale_factor(rgb.shape[0], rgb.shape[1], min_size)
    rgb = upscale_image(rgb, factor)
    h, w = rgb.shape[:2]
    if len(result.maps):
        heat = colorize_map(result.maps[0])
        if heat.shape[:2] != (h, w):
            heat = cv2.resize(heat, (w, h))
        out = cv2.addWeighted(rgb, 1.0 - alpha, heat, alpha, 0)
    else:
        out = rgb.copy()
    out = np.ascontiguousarray(out)
    scale = font_scale_for(h, w)
    texts, colors, anchors = [], [], []
    # top-1 first: it gets its preferred spot, the others move
    for rank in range(len(result.labels)):
        color = RANK_COLORS[rank % len(RANK_COLORS)]
        text = f'{result.class_names[rank]} {result.label_scores[rank]:.2f}'
        boxes = scale_boxes(result.boxes[rank], factor)
        size = text_box_size(text, scale)
        if len(boxes):
            anchor = label_anchor_above(boxes[0], size)
        else:
            text += ' (no box)'
            anchor = (0, 0)
        texts.append(text)
        colors.append(color)
        anchors.append(anchor)
    for rank in reversed(range(len(result.labels))):
        for x0, y0, x1, y1 in scale_boxes(result.boxes[rank], factor):
            cv2.rectangle(
                out,
                (int(round(x0)), int(round(y0))),
                (int(round(x1)), int(round(y1))),
                colors[rank],
                thickness,
            )
    sizes = [text_box_size(text, scale) for text in texts]
    rects = place_labels(sizes, anchors, (h, w))
    for text, rect, color in zip(texts, rects, colors):
        draw_label(out, text, rect, color, (0, 0, 0), scale)
    return out[..., ::-1].copy() if bgr else out
