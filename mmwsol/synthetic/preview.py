"""A picture of a generated synthetic set (GT boxes and mask outlines)."""

import os.path as osp
from typing import Dict, List

import cv2
import numpy as np


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
