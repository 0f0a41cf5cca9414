"""Writers of tiny WSOL datasets (images, masks, metadata) for the tests."""

import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np


def write_text(path: str, lines: List[str], newline_at_end=True) -> str:
    """Write metadata lines (optionally without the final newline)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    text = '\n'.join(lines) + ('\n' if newline_at_end and lines else '')
    with open(path, 'w') as f:
        f.write(text)
    return path


def write_image(path: str, width: int, height: int, seed: int = 0) -> str:
    """Write a small random BGR PNG image."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.RandomState(seed)
    img = rng.randint(0, 256, (height, width, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img)
    return path


def write_mask(path: str, mask: np.ndarray) -> str:
    """Write a 0/255 PNG mask from a boolean or 0/255 array."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    mask = np.asarray(mask)
    if mask.dtype == bool:
        mask = mask.astype(np.uint8) * 255
    assert cv2.imwrite(path, mask.astype(np.uint8))
    return path


def rect_mask(width: int, height: int, box) -> np.ndarray:
    """Boolean (H, W) mask of a pixel-inclusive box."""
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), dtype=bool)
    mask[y0 : y1 + 1, x0 : x1 + 1] = True
    return mask


# Three images: (relative id, width, height, label, boxes)
BOX_SAMPLES = [
    ('cls0/a.png', 40, 30, 0, [(5, 4, 20, 25)]),
    ('cls1/b.png', 50, 36, 1, [(0, 0, 49, 35), (10, 12, 30, 20)]),
    ('cls1/c.png', 33, 47, 1, []),
]


def make_box_split(
    root: str,
    split: str = 'test',
    samples=BOX_SAMPLES,
    with_sizes: bool = True,
    newline_at_end: bool = True,
) -> Dict[str, str]:
    """Write images and box metadata of one split under ``root``.

    Images go to ``root/images``, metadata to ``root/metadata/<split>``.
    """
    meta = osp.join(root, 'metadata', split)
    for i, (image_id, w, h, _, _) in enumerate(samples):
        write_image(osp.join(root, 'images', image_id), w, h, seed=i)
    write_text(
        osp.join(meta, 'image_ids.txt'),
        [s[0] for s in samples],
        newline_at_end,
    )
    write_text(
        osp.join(meta, 'class_labels.txt'),
        [f'{s[0]},{s[3]}' for s in samples],
        newline_at_end,
    )
    write_text(
        osp.join(meta, 'image_sizes.txt'),
        [f'{s[0]},{s[1]},{s[2]}' for s in samples] if with_sizes else [],
        newline_at_end,
    )
    write_text(
        osp.join(meta, 'localization.txt'),
        [f'{s[0]},{b[0]},{b[1]},{b[2]},{b[3]}' for s in samples for b in s[4]],
        newline_at_end,
    )
    return dict(root=root, meta=meta, images=osp.join(root, 'images'))


def make_mask_split(root: str, split: str = 'test') -> Dict[str, object]:
    """Write a split with instance masks and ignore masks.

    Image ``m/a.png`` (w=37, h=29) has two instances and an ignore mask;
    image ``m/b.png`` (w=23, h=41) has one instance and no ignore mask.
    """
    meta = osp.join(root, 'metadata', split)
    write_image(osp.join(root, 'images', 'm/a.png'), 37, 29, seed=1)
    write_image(osp.join(root, 'images', 'm/b.png'), 23, 41, seed=2)
    rng = np.random.RandomState(0)
    a0 = rect_mask(37, 29, (3, 2, 15, 20))
    a1 = rng.rand(29, 37) > 0.7
    a_ignore = rect_mask(37, 29, (0, 0, 25, 28))
    b0 = rng.rand(41, 23) > 0.5
    masks = dict(a0=a0, a1=a1, a_ignore=a_ignore, b0=b0)
    for name, mask in masks.items():
        write_mask(osp.join(root, 'masks', f'{name}.png'), mask)
    write_text(osp.join(meta, 'image_ids.txt'), ['m/a.png', 'm/b.png'])
    write_text(osp.join(meta, 'class_labels.txt'), ['m/a.png,2', 'm/b.png,0'])
    write_text(
        osp.join(meta, 'image_sizes.txt'), ['m/a.png,37,29', 'm/b.png,23,41']
    )
    write_text(
        osp.join(meta, 'localization.txt'),
        ['m/a.png,a0.png,a_ignore.png', 'm/a.png,a1.png,', 'm/b.png,b0.png,'],
        newline_at_end=False,
    )
    return dict(root=root, meta=meta, masks=masks)


def box_dataset_cfg(
    split: Dict[str, str], pipeline: Optional[list] = None, **kwargs
) -> dict:
    """Config of a ``WSOLDataset`` on a split made by ``make_box_split``."""
    cfg = dict(
        type='WSOLDataset',
        data_root=split['root'],
        metadata_dir='metadata/test',
        img_prefix='images',
        pipeline=pipeline or [],
    )
    cfg.update(kwargs)
    return cfg
