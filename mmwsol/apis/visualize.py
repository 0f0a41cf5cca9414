"""Overlay of a localization result on its image."""

import cv2
import numpy as np

from mmwsol.visualization import colorize_map

#: RGB box colours of the top-1, top-2... maps (green first, like the
#: predicted boxes of the test overlays).
RANK_COLORS = [
    (0, 255, 0),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 128, 0),
]


def _put_label(img: np.ndarray, text: str, org, color, scale: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    x, y = int(org[0]), int(org[1])
    y = max(y, th + base)
    cv2.rectangle(img, (x, y - th - base), (x + tw + 2, y), color, -1)
    cv2.putText(
        img, text, (x + 1, y - base), font, scale, (0, 0, 0), 1, cv2.LINE_AA
    )


def draw_localization(
    image: np.ndarray,
    result,
    alpha: float = 0.5,
    bgr: bool = True,
    thickness: int = 2,
) -> np.ndarray:
    """Draw the top-1 heat map, every top-k box and its class and score.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 image at the original size.
        result (LocalizationResult): The image's result.
        alpha (float): Weight of the heat map. Defaults to 0.5.
        bgr (bool): Whether ``image`` is BGR (OpenCV); the output has the
            same channel order. Defaults to True.
        thickness (int): Box line thickness. Defaults to 2.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 overlay.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    rgb = image[..., ::-1] if bgr else image
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    if len(result.maps):
        heat = colorize_map(result.maps[0])
        if heat.shape[:2] != (h, w):
            heat = cv2.resize(heat, (w, h))
        out = cv2.addWeighted(rgb, 1.0 - alpha, heat, alpha, 0)
    else:
        out = rgb.copy()
    out = np.ascontiguousarray(out)
    scale = max(0.35, min(h, w) / 600.0)
    # lower ranks first, so the top-1 box is drawn on top
    for rank in reversed(range(len(result.labels))):
        color = RANK_COLORS[rank % len(RANK_COLORS)]
        text = f'{result.class_names[rank]} {result.label_scores[rank]:.2f}'
        boxes = np.asarray(result.boxes[rank]).reshape(-1, 4)
        for x0, y0, x1, y1 in boxes.astype(int):
            cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness)
            _put_label(out, text, (x0, y0), color, scale)
        if not len(boxes):
            _put_label(
                out,
                text + ' (no box)',
                (2, (rank + 1) * 14 * (scale / 0.35)),
                color,
                scale,
            )
    return out[..., ::-1].copy() if bgr else out
