"""Shared helpers of the offline evaluation tests: metadata folders and
saved maps written by hand."""

import importlib.util
import os
import os.path as osp

import numpy as np

from mmwsol.evaluation.offline import scoremap_path

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def load_tool(name):
    """Import ``tools/analysis/<name>.py`` as a module."""
    path = osp.join(ROOT, 'tools', 'analysis', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def write_metadata(meta_dir, images, sizes=True, loc_lines=None):
    """``images``: list of (image_id, label, (w, h), [boxes])."""
    write_lines(osp.join(meta_dir, 'image_ids.txt'), [i[0] for i in images])
    write_lines(
        osp.join(meta_dir, 'class_labels.txt'),
        [f'{i[0]},{i[1]}' for i in images],
    )
    write_lines(
        osp.join(meta_dir, 'image_sizes.txt'),
        [f'{i[0]},{i[2][0]},{i[2][1]}' for i in images] if sizes else [],
    )
    if loc_lines is None:
        loc_lines = [
            f'{i[0]},' + ','.join(str(v) for v in box)
            for i in images
            for box in i[3]
        ]
    write_lines(osp.join(meta_dir, 'localization.txt'), loc_lines)
    return meta_dir


def save_map(scoremap_dir, image_id, array):
    path = scoremap_path(str(scoremap_dir), image_id)
    os.makedirs(osp.dirname(path), exist_ok=True)
    np.save(path, array)
    return path


def box_map(x0, y0, x1, y1, size=224):
    """1 on the inclusive box, 0 elsewhere."""
    cam = np.zeros((size, size), np.float32)
    cam[y0 : y1 + 1, x0 : x1 + 1] = 1.0
    return cam


# Two images of 448 x 336 (w x h). GT box [80, 60, 279, 269] rescaled to
# 224 x 224 with int(x * 224 / 448), int(y * 224 / 336):
# x: 40, 139; y: int(40.0) = 40, int(179.33) = 179 -> [40, 40, 139, 179],
# 100 x 140 pixels.
IMAGES = [
    ('cls0/a.jpg', 0, (448, 336), [[80, 60, 279, 269]]),
    ('cls1/b.jpg', 1, (448, 336), [[80, 60, 279, 269]]),
]
GT_224 = (40, 40, 139, 179)
