"""Drawing of score maps and boxes on images (pure numpy / OpenCV)."""

from typing import Optional, Sequence

import cv2
import numpy as np

from .labels import draw_label, font_scale_for, stack_labels, text_box_size

#: Shortest side of the drawn overlays: small images are upscaled to it.
MIN_SIZE = 384
PRED_COLOR = (0, 255, 0)  # RGB green: predicted boxes
GT_COLOR = (255, 0, 0)  # RGB red: ground-truth boxes


def colorize_map(scoremap: np.ndarray) -> np.ndarray:
    """Turn a ``[0, 1]`` map into an RGB heat map (OpenCV's JET colormap).

    Args:
        scoremap (np.ndarray): ``(H, W)`` float map in ``[0, 1]``.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB image.
    """
    scoremap = np.nan_to_num(np.asarray(scoremap, dtype=np.float32))
    u8 = np.uint8(np.clip(scoremap, 0.0, 1.0) * 255)
    return cv2.cvtColor(
        cv2.applyColorMap(u8, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB
    )


def upscale_factor(height: int, width: int, min_size: int) -> float:
    """The factor that brings the shortest side to ``min_size`` (>= 1).

    Args:
        height (int): Image height.
        width (int): Image width.
        min_size (int): Wanted shortest side; 0 keeps the size.

    Returns:
        float: 1.0 for images already large enough.
    """
    if min_size <= 0 or min(height, width) <= 0:
        return 1.0
    return max(1.0, float(min_size) / min(height, width))


def scale_boxes(boxes: Optional[np.ndarray], factor: float) -> np.ndarray:
    """Scale inclusive pixel boxes ``x0, y0, x1, y1`` with their image.

    Pixel ``i`` of the original covers ``[i * f, (i + 1) * f)`` in the
    scaled image, so a box keeps covering the same pixels:
    ``x0 * f`` to ``(x1 + 1) * f - 1``.

    Args:
        boxes (np.ndarray, optional): ``(N, 4)`` boxes.
        factor (float): The scale factor.

    Returns:
        np.ndarray: ``(N, 4)`` float boxes (empty for None).
    """
    if boxes is None:
        return np.zeros((0, 4))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if factor == 1.0:
        return boxes
    out = boxes * factor
    out[:, 2:] = (boxes[:, 2:] + 1) * factor - 1
    return out


def upscale_image(image: np.ndarray, factor: float) -> np.ndarray:
    """Resize an image by ``factor`` (bicubic; unchanged for 1.0)."""
    if factor == 1.0:
        return image
    h, w = image.shape[:2]
    size = (int(round(w * factor)), int(round(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)


def draw_cam_overlay(
    image: np.ndarray,
    scoremap: np.ndarray,
    pred_boxes: Optional[np.ndarray] = None,
    gt_boxes: Optional[np.ndarray] = None,
    alpha: float = 0.5,
    texts: Sequence[str] = (),
    thickness: int = 2,
    min_size: int = MIN_SIZE,
) -> np.ndarray:
    """Blend a heat map over an image and draw boxes and captions.

    Images whose shortest side is below ``min_size`` are first upscaled
    (bicubic) so that the captions are readable; boxes follow the image.
    Captions are stacked at the top left, each on a dark background.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        scoremap (np.ndarray): ``(h, w)`` map in ``[0, 1]``; resized to the
            (upscaled) image size.
        pred_boxes (np.ndarray, optional): ``(N, 4)`` boxes ``x0, y0, x1, y1``
            (inclusive pixel coordinates of the image), drawn green.
        gt_boxes (np.ndarray, optional): ``(M, 4)`` GT boxes, drawn red.
        alpha (float): Weight of the heat map in the blend. Defaults to 0.5.
        texts (Sequence[str]): Caption lines drawn at the top left.
        thickness (int): Line thickness of the boxes. Defaults to 2.
        min_size (int): Shortest side of the output; 0 keeps the input
            size. Defaults to :data:`MIN_SIZE` (384).

    Returns:
        np.ndarray: ``(H', W', 3)`` uint8 RGB overlay, ``min(H', W') >=
        min_size``.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3), got {image.shape}')
    factor = upscale_factor(image.shape[0], image.shape[1], min_size)
    image = upscale_image(image.astype(np.uint8), factor)
    h, w = image.shape[:2]
    scoremap = np.asarray(scoremap, dtype=np.float32)
    if scoremap.shape != (h, w):
        scoremap = cv2.resize(scoremap, (w, h), interpolation=cv2.INTER_CUBIC)
    heat = colorize_map(scoremap)
    out = cv2.addWeighted(image, 1.0 - alpha, heat, alpha, 0)
    out = np.ascontiguousarray(out)
    for boxes, color in ((gt_boxes, GT_COLOR), (pred_boxes, PRED_COLOR)):
        for x0, y0, x1, y1 in scale_boxes(boxes, factor):
            cv2.rectangle(
                out,
                (int(round(x0)), int(round(y0))),
                (int(round(x1)), int(round(y1))),
                color,
                thickness,
            )
    scale = font_scale_for(h, w)
    sizes = [text_box_size(text, scale) for text in texts]
    for text, rect in zip(texts, stack_labels(sizes, (2, 2))):
        draw_label(out, text, rect, (0, 0, 0), (255, 255, 255), scale)
    return out
