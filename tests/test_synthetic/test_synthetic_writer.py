"""mmwsol.synthetic: a whole set on disk (layout, metadata, determinism,
regeneration, preview)."""

import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from synthetic_utils import (
    SMALL,
    read_gray,
    read_lines,
    tree_hashes,
)

from mmwsol.synthetic import (
    GENERATOR_VERSION,
    class_dirs,
    generate_synthetic_dataset,
    is_up_to_date,
    make_preview_grid,
    mask_to_box,
    resolve_params,
)


def test_generation_is_deterministic(tmp_path):
    first = generate_synthetic_dataset(
        str(tmp_path / 'a'), seed=3, num_workers=1, **SMALL
    )
    second = generate_synthetic_dataset(
        str(tmp_path / 'b'), seed=3, num_workers=3, **SMALL
    )
    hashes = tree_hashes(tmp_path / 'a')
    assert hashes == tree_hashes(tmp_path / 'b')
    assert (
        first['num_images']
        == second['num_images']
        == {'train': 12, 'val': 9, 'test': 9}
    )
    generate_synthetic_dataset(str(tmp_path / 'c'), seed=4, **SMALL)
    other = tree_hashes(tmp_path / 'c')
    images = {k for k in hashes if k.startswith('images/')}
    assert {k for k in other if k.startswith('images/')} == images
    assert (
        other['images/000_red_circle/train_000000.png']
        != hashes['images/000_red_circle/train_000000.png']
    )


def test_more_images_keep_the_others(tmp_path):
    generate_synthetic_dataset(str(tmp_path / 'a'), **SMALL)
    generate_synthetic_dataset(str(tmp_path / 'b'), **dict(SMALL, num_train=6))
    a, b = tree_hashes(tmp_path / 'a'), tree_hashes(tmp_path / 'b')
    for path in (
        'images/001_green_square/train_000003.png',
        'images/002_blue_triangle/test_000002.png',
        'masks/000_red_circle/val_000001_inst0.png',
    ):
        assert a[path] == b[path]


def _check_split(root, split, num_classes, per_class, with_masks, band=0):
    """Check one split's metadata against the files it names."""
    meta = osp.join(root, 'metadata', split)
    ids = read_lines(osp.join(meta, 'image_ids.txt'))
    assert len(ids) == len(set(ids)) == num_classes * per_class
    labels = dict(
        line.split(',')
        for line in read_lines(osp.join(meta, 'class_labels.txt'))
    )
    assert list(labels) == ids
    dirs = class_dirs(num_classes)
    for image_id in ids:
        assert image_id.split('/')[0] == dirs[int(labels[image_id])]
        assert image_id.split('/')[1].startswith(split + '_')
    sizes = {}
    for line in read_lines(osp.join(meta, 'image_sizes.txt')):
        image_id, w, h = line.split(',')
        sizes[image_id] = (int(w), int(h))
    assert list(sizes) == ids
    boxes = {}
    for line in read_lines(osp.join(meta, 'localization.txt')):
        image_id, *coords = line.split(',')
        boxes.setdefault(image_id, []).append(tuple(int(c) for c in coords))
    assert sorted(boxes) == sorted(ids)
    for image_id in ids:
        image = cv2.imread(osp.join(root, 'images', image_id))
        w, h = sizes[image_id]
        assert image.shape == (h, w, 3)
        for x0, y0, x1, y1 in boxes[image_id]:
            assert 0 <= x0 <= x1 <= w - 1 and 0 <= y0 <= y1 <= h - 1
    mask_file = osp.join(meta, 'localization_mask.txt')
    if not with_masks:
        assert not osp.exists(mask_file)
        return sizes, boxes
    masks = {}
    for line in read_lines(mask_file):
        image_id, mask_rel, ignore_rel = line.split(',')
        if image_id in masks:
            assert ignore_rel == ''  # only the first line names the ignore
        else:
            assert ignore_rel == image_id[:-4] + '_ignore.png'
            masks[image_id] = {'ignore': ignore_rel, 'masks': []}
        masks[image_id]['masks'].append(mask_rel)
    assert list(masks) == ids
    for image_id in ids:
        w, h = sizes[image_id]
        instance_masks = []
        for mask_rel in masks[image_id]['masks']:
            mask = read_gray(osp.join(root, 'masks', mask_rel))
            assert mask.shape == (h, w) and set(np.unique(mask)) <= {0, 255}
            instance_masks.append(mask > 0)
        # One box per instance mask: its tight bounding box.
        assert sorted(mask_to_box(m) for m in instance_masks) == sorted(
            boxes[image_id]
        )
        union = np.any(np.stack(instance_masks), 0)
        ignore = (
            read_gray(osp.join(root, 'masks', masks[image_id]['ignore'])) > 0
        )
        assert ignore.shape == (h, w) and not (ignore & union).any()
        if band == 0:
            assert not ignore.any()
        else:
            grown = (
                cv2.dilate(
                    union.astype(np.uint8),
                    np.ones((2 * band + 1,) * 2, np.uint8),
                )
                > 0
            )
            np.testing.assert_array_equal(ignore, grown & ~union)
    return sizes, boxes


def test_layout_and_metadata(tmp_path):
    root = str(tmp_path / 'syn')
    summary = generate_synthetic_dataset(root, seed=1, **SMALL)
    assert summary['classes'] == [
        'red_circle',
        'green_square',
        'blue_triangle',
    ]
    assert read_lines(osp.join(root, 'classes.txt')) == summary['classes']
    with open(osp.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['generator_version'] == GENERATOR_VERSION
    assert meta['params'] == resolve_params(seed=1, **SMALL)
    assert meta['num_images'] == {'train': 12, 'val': 9, 'test': 9}
    assert osp.isfile(osp.join(root, 'README.md'))
    _, boxes = _check_split(root, 'train', 3, 4, with_masks=False)
    assert (
        sum(len(b) for b in boxes.values()) == meta['num_instances']['train']
    )
    for split in ('val', 'test'):
        _check_split(root, split, 3, 3, with_masks=True)
    assert read_lines(osp.join(root, 'metadata', 'val', 'image_ids.txt'))[
        :2
    ] == ['000_red_circle/val_000000.png', '000_red_circle/val_000001.png']


def test_two_instances_and_ignore_band(tmp_path):
    root = str(tmp_path / 'two')
    generate_synthetic_dataset(
        root,
        num_classes=2,
        num_train=1,
        num_val=4,
        num_test=1,
        two_instance_prob=1.0,
        ignore_band=2,
    )
    _, boxes = _check_split(root, 'val', 2, 4, with_masks=True, band=2)
    assert max(len(b) for b in boxes.values()) == 2
    lines = read_lines(
        osp.join(root, 'metadata', 'val', 'localization_mask.txt')
    )
    assert any(line.endswith(',') for line in lines)  # second instance line


def test_varied_non_square_sizes(tmp_path):
    root = str(tmp_path / 'sizes')
    generate_synthetic_dataset(
        root,
        num_classes=2,
        num_train=3,
        num_val=3,
        num_test=3,
        image_size=(112, 64),
        size_jitter=0.3,
    )
    sizes, _ = _check_split(root, 'test', 2, 3, with_masks=True)
    widths = {w for w, _ in sizes.values()}
    heights = {h for _, h in sizes.values()}
    assert len(widths) > 1 and len(heights) > 1
    assert all(78 <= w <= 146 for w in widths)
    assert all(44 <= h <= 84 for h in heights)
    assert any(w != h for w, h in sizes.values())
    _check_split(root, 'train', 2, 3, with_masks=False)


def test_up_to_date_and_regeneration(tmp_path):
    root = str(tmp_path / 'idem')
    assert not is_up_to_date(root, **SMALL)
    generate_synthetic_dataset(root, **SMALL)
    assert is_up_to_date(root, **SMALL)
    assert not is_up_to_date(root, **dict(SMALL, seed=5))
    # Fewer images: stale files of the previous set are removed.
    generate_synthetic_dataset(root, **dict(SMALL, num_train=2))
    assert not osp.exists(
        osp.join(root, 'images', '000_red_circle', 'train_000003.png')
    )
    assert is_up_to_date(root, **dict(SMALL, num_train=2))
    # A deleted split file makes the set incomplete.
    os.remove(osp.join(root, 'metadata', 'test', 'image_ids.txt'))
    assert not is_up_to_date(root, **dict(SMALL, num_train=2))


def test_refuses_foreign_directory(tmp_path):
    root = tmp_path / 'foreign'
    (root / 'images').mkdir(parents=True)
    (root / 'images' / 'mine.png').write_bytes(b'x')
    (root / 'meta.json').write_text('{"tool": "someone else"}')
    with pytest.raises(FileExistsError):
        generate_synthetic_dataset(str(root), **SMALL)
    assert (root / 'images' / 'mine.png').exists()
    generate_synthetic_dataset(str(root), overwrite=True, **SMALL)
    assert not (root / 'images' / 'mine.png').exists()


def test_preview_grid(tmp_path):
    root = str(tmp_path / 'grid')
    generate_synthetic_dataset(root, **SMALL)
    grid = make_preview_grid(root, 'val', per_class=2, cell=32)
    assert grid.shape == (3 * 32, 2 * 32, 3) and grid.dtype == np.uint8


def test_set_made_by_the_former_module_name_is_still_ours(tmp_path):
    """A set whose meta.json names ``mmwsol.datasets.synthetic`` (the
    generator's former home, same pixels) is up to date, not foreign."""
    out = str(tmp_path / 'old')
    generate_synthetic_dataset(out, **SMALL)
    meta_file = osp.join(out, 'meta.json')
    with open(meta_file) as f:
        meta = json.load(f)
    assert meta['generator'] == 'mmwsol.synthetic'
    meta['generator'] = 'mmwsol.datasets.synthetic'
    with open(meta_file, 'w') as f:
        json.dump(meta, f)
    assert is_up_to_date(out, **SMALL)
    generate_synthetic_dataset(out, **SMALL)  # no FileExistsError
    meta['generator'] = 'someone.else'
    with open(meta_file, 'w') as f:
        json.dump(meta, f)
    assert not is_up_to_date(out, **SMALL)
    with pytest.raises(FileExistsError):
        generate_synthetic_dataset(out, **SMALL)
