"""Drawing of score maps and boxes on images (pure numpy / OpenCV)."""

from typing import Optional, Sequence

import cv2
import numpy as np

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


def draw_cam_overlay(
    image: np.ndarray,
    scoremap: np.ndarray,
    pred_boxes: Optional[np.ndarray] = None,
    gt_boxes: Optional[np.ndarray] = None,
    alpha: float = 0.5,
    texts: Sequence[str] = (),
    thickness: int = 2,
) -> np.ndarray:
    """Blend a heat map over an image and draw boxes and captions.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        scoremap (np.ndarray): ``(h, w)`` map in ``[0, 1]``; resized to the
            image size when they differ.
        pred_boxes (np.ndarray, optional): ``(N, 4)`` boxes ``x0, y0, x1, y1``
            (inclusive pixel coordinates of the image), drawn green.
        gt_boxes (np.ndarray, optional): ``(M, 4)`` GT boxes, drawn red.
        alpha (float): Weight of the heat map in the blend. Defaults to 0.5.
        texts (Sequence[str]): Caption lines drawn at the top left.
        thickness (int): Line thickness of the boxes. Defaults to 2.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB overlay.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'image must be (H, W, 3), got {image.shape}')
    h, w = image.shape[:2]
    scoremap = np.asarray(scoremap, dtype=np.float32)
    if scoremap.shape != (h, w):
        scoremap = cv2.resize(scoremap, (w, h), interpolation=cv2.INTER_CUBIC)
    heat = colorize_map(scoremap)
    out = cv2.addWeighted(image.astype(np.uint8), 1.0 - alpha, heat, alpha, 0)
    out = np.ascontiguousarray(out)
    for boxes, color in ((gt_boxes, GT_COLOR), (pred_boxes, PRED_COLOR)):
        if boxes is None:
            continue
        for x0, y0, x1, y1 in np.asarray(boxes, dtype=np.float64).reshape(
            -1, 4
        ):
            cv2.rectangle(
                out, (int(x0), int(y0)), (int(x1), int(y1)), color, thickness
            )
    scale = max(h, w) / 500.0
    for i, text in enumerate(texts):
        org = (4, int((i + 1) * 18 * max(scale, 0.6)))
        cv2.putText(
            out,
            text,
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * max(scale, 0.6),
            (0, 0, 0),
            3,
            cv2.LINE_AA,
        )
        cv2.putText(
            out,
            text,
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * max(scale, 0.6),
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
    return out
