"""Shared helpers of the CUB converter tests: the tool loaded by its path
and a tiny fake ``CUB_200_2011`` tree."""

import importlib.util
import os.path as osp

import cv2
import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'cub_converter',
    osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'cub.py'),
)
cub = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cub)

CLASSES = ['1 001.Alpha_bird', '2 002.Beta_bird', '3 003.Gamma_bird']
# id: (path, label, is_train, box "x y w h", (width, height))
IMAGES = {
    1: (
        '001.Alpha_bird/Alpha_0001.jpg',
        1,
        1,
        '60.0 27.0 325.0 304.0',
        (400, 340),
    ),
    2: (
        '001.Alpha_bird/Alpha_0002.jpg',
        1,
        0,
        '14.0 112.0 388.0 186.0',
        (410, 300),
    ),
    3: ('001.Alpha_bird/Alpha_0003.jpg', 1, 1, '0.0 0.0 50.0 40.0', (50, 40)),
    4: (
        '001.Alpha_bird/Alpha_0004.jpg',
        1,
        1,
        '10.5 20.7 30.2 15.9',
        (64, 48),
    ),
    5: ('002.Beta_bird/Beta_0001.jpg', 2, 1, '5.0 6.0 7.0 8.0', (20, 30)),
    6: ('002.Beta_bird/Beta_0002.jpg', 2, 1, '1.0 2.0 3.0 4.0', (16, 16)),
    7: ('002.Beta_bird/Beta_0003.jpg', 2, 0, '2.0 2.0 20.0 10.0', (40, 20)),
    8: ('003.Gamma_bird/Gamma_0001.jpg', 3, 0, '0.0 0.0 31.0 23.0', (32, 24)),
    9: ('003.Gamma_bird/Gamma_0002.jpg', 3, 1, '3.0 4.0 5.0 6.0', (24, 24)),
    10: ('003.Gamma_bird/Gamma_0003.jpg', 3, 1, '4.0 4.0 4.0 4.0', (12, 10)),
}


def write_lines(path, lines, trailing_newline=True):
    text = '\n'.join(lines) + ('\n' if trailing_newline else '')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_cub_root(tmp_path):
    """A fake ``CUB_200_2011`` folder with 10 images of 3 classes."""
    root = tmp_path / 'CUB_200_2011'
    write_lines(root / 'classes.txt', CLASSES)
    write_lines(
        root / 'images.txt', [f'{i} {v[0]}' for i, v in IMAGES.items()]
    )
    # Another line order and no trailing newline: ids, not order, count.
    write_lines(
        root / 'image_class_labels.txt',
        [f'{i} {v[1]}' for i, v in sorted(IMAGES.items(), reverse=True)],
        trailing_newline=False,
    )
    write_lines(
        root / 'train_test_split.txt',
        [f'{i} {v[2]}' for i, v in IMAGES.items()] + [''],
    )
    write_lines(
        root / 'bounding_boxes.txt', [f'{i} {v[3]}' for i, v in IMAGES.items()]
    )
    for path, _, _, _, (width, height) in IMAGES.values():
        image = np.full((height, width, 3), 128, np.uint8)
        (root / 'images' / path).parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(root / 'images' / path), image)
    return root


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines()
