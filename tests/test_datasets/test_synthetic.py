"""Tests of the embedded synthetic WSOL dataset and its command line tool."""

import hashlib
import json
import math
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmwsol.synthetic import (
    GENERATOR_VERSION,
    PART_COLORS,
    SYNTHETIC_DEFAULTS,
    SyntheticSpec,
    class_dirs,
    class_names,
    generate_synthetic_dataset,
    is_up_to_date,
    make_preview_grid,
    mask_to_box,
    render_sample,
    resolve_params,
)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'make_synthetic.py')
SMALL = dict(num_classes=3, num_train=4, num_val=3, num_test=3)


def _tree_hashes(root):
    """``relative path -> sha256`` of every file under ``root``."""
    hashes = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                hashes[osp.relpath(path, root)] = hashlib.sha256(
                    f.read()
                ).hexdigest()
    return hashes


def _read_lines(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f]


def _read_gray(path):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def test_class_names_hand_written():
    assert class_names(8) == [
        'red_circle',
        'green_square',
        'blue_triangle',
        'yellow_cross',
        'magenta_diamond',
        'cyan_ring',
        'orange_star',
        'white_bar',
    ]
    # Class 8 reuses colour 0 with the next shape; class 15 colour 7 shape 0.
    names = class_names(64)
    assert names[8] == 'red_square'
    assert names[15] == 'white_circle'
    assert len(set(names)) == 64
    assert class_dirs(2) == ['000_red_circle', '001_green_square']
    with pytest.raises(ValueError):
        class_names(65)
    with pytest.raises(ValueError):
        class_names(0)


def test_mask_to_box_inclusive():
    mask = np.zeros((5, 7), bool)
    mask[1, 2] = mask[3, 5] = True
    assert mask_to_box(mask) == (2, 1, 5, 3)
    mask[:] = False
    mask[4, 6] = True  # bottom-right pixel: x1 = w - 1, y1 = h - 1
    assert mask_to_box(mask) == (6, 4, 6, 4)
    with pytest.raises(ValueError):
        mask_to_box(np.zeros((3, 3), bool))


def test_defaults_in_one_place():
    spec = SyntheticSpec()
    assert SYNTHETIC_DEFAULTS['num_classes'] == spec.num_classes == 6
    assert SYNTHETIC_DEFAULTS['image_size'] == (128, 128)
    assert (spec.num_train, spec.num_val, spec.num_test) == (100, 20, 30)
    params = resolve_params()
    assert params['image_size'] == [128, 128]  # JSON form, as in meta.json
    assert resolve_params(image_size=96)['image_size'] == [96, 96]
    assert resolve_params(image_size=(96, 64))['image_size'] == [96, 64]


@pytest.mark.parametrize(
    'bad',
    [
        dict(num_classes=0),
        dict(num_classes=65),
        dict(num_train=-1),
        dict(image_size=(16, 64)),
        dict(size_jitter=0.6),
        dict(object_scale=(0.5, 0.2)),
        dict(two_instance_prob=1.5),
        dict(image_size=(64, 64, 3)),
    ],
)
def test_invalid_parameters(bad):
    with pytest.raises(ValueError):
        resolve_params(**bad)


def test_unknown_parameter():
    with pytest.raises(TypeError, match='colour'):
        resolve_params(colour='red')


# --------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    class_index=st.integers(0, 7),
    width=st.integers(48, 200),
    height=st.integers(48, 200),
    two=st.booleans(),
)
def test_render_sample_properties(seed, class_index, width, height, two):
    spec = SyntheticSpec(
        num_classes=8,
        image_size=(width, height),
        two_instance_prob=1.0 if two else 0.0,
    )
    sample = render_sample(np.random.default_rng(seed), class_index, spec)
    assert sample.image.shape == (height, width, 3)
    assert sample.image.dtype == np.uint8
    assert 1 <= len(sample.instance_masks) <= 2
    assert (
        len(sample.boxes)
        == len(sample.instance_masks)
        == len(sample.part_masks)
    )
    if not two:
        assert len(sample.boxes) == 1
    union = np.zeros((height, width), bool)
    for mask, part, box in zip(
        sample.instance_masks, sample.part_masks, sample.boxes
    ):
        assert mask.shape == (height, width)
        # The GT box is the tight box of the whole object (body + part).
        assert box == mask_to_box(mask)
        x0, y0, x1, y1 = box
        assert 0 <= x0 <= x1 <= width - 1 and 0 <= y0 <= y1 <= height - 1
        # The part is a small piece inside the body: at most the largest
        # wanted fraction (10 %) of the object, plus the pixels of a 2-pixel
        # rim that rasterising a shape of that area can add (it matters on
        # tiny objects: a 166-pixel body gets a 25-pixel part), and at least
        # room for the 1.5-pixel part of a sliver of a body.
        assert part.any() and not (part & ~mask).any()
        area = float(mask.sum())
        radius = math.sqrt(0.10 * area / math.pi)  # a disc: the smallest r
        assert part.sum() <= max(0.10 * area * (1 + 2 / radius) ** 2, 21)
        # Instances are disjoint.
        assert not (union & mask).any()
        union |= mask
    # Decoys (body texture fragments) never touch an object.
    assert not (sample.decoy_mask & union).any()


def test_render_sample_statistics():
    """Scale, part fraction and decoys follow the design on average."""
    spec = SyntheticSpec(num_classes=4, two_instance_prob=0.0)
    box_fraction, part_fraction, with_decoys = [], [], 0
    for i in range(60):
        sample = render_sample(np.random.default_rng([7, i]), i % 4, spec)
        x0, y0, x1, y1 = sample.boxes[0]
        box_fraction.append((x1 - x0 + 1) * (y1 - y0 + 1) / 128**2)
        part_fraction.append(
            sample.part_masks[0].sum() / sample.instance_masks[0].sum()
        )
        with_decoys += bool(sample.decoy_mask.any())
    assert 0.1 <= min(box_fraction) and max(box_fraction) <= 0.7
    assert np.median(box_fraction) == pytest.approx(0.375, abs=0.1)
    assert 0.04 <= np.median(part_fraction) <= 0.11
    assert with_decoys >= 20


def test_only_the_part_depends_on_the_class():
    """Same seed, another class: only the part pixels change."""
    spec = SyntheticSpec(num_classes=8)
    samples = [
        render_sample(np.random.default_rng(123), k, spec) for k in range(8)
    ]
    reference = samples[0]
    for sample in samples[1:]:
        assert sample.boxes == reference.boxes
        for mask, ref_mask in zip(
            sample.instance_masks, reference.instance_masks
        ):
            np.testing.assert_array_equal(mask, ref_mask)
        parts = np.any(np.stack(sample.part_masks + reference.part_masks), 0)
        np.testing.assert_array_equal(
            sample.image[~parts], reference.image[~parts]
        )


def test_part_has_the_class_colour():
    spec = SyntheticSpec(num_classes=8, noise_std=0.0)
    for k, (name, rgb) in enumerate(PART_COLORS.items()):
        sample = render_sample(np.random.default_rng(k), k, spec)
        part = sample.part_masks[0]
        inner = cv2.erode(
            part.astype(np.uint8), np.ones((3, 3), np.uint8)
        ).astype(bool)
        mean = sample.image[inner].astype(float).mean(0)
        # The part interior is the class colour up to a +-12 jitter.
        assert np.abs(mean - np.array(rgb)).max() <= 13, name


# --------------------------------------------------------------------------
# Whole set
# --------------------------------------------------------------------------
def test_generation_is_deterministic(tmp_path):
    first = generate_synthetic_dataset(
        str(tmp_path / 'a'), seed=3, num_workers=1, **SMALL
    )
    second = generate_synthetic_dataset(
        str(tmp_path / 'b'), seed=3, num_workers=3, **SMALL
    )
    hashes = _tree_hashes(tmp_path / 'a')
    assert hashes == _tree_hashes(tmp_path / 'b')
    assert (
        first['num_images']
        == second['num_images']
        == {'train': 12, 'val': 9, 'test': 9}
    )
    generate_synthetic_dataset(str(tmp_path / 'c'), seed=4, **SMALL)
    other = _tree_hashes(tmp_path / 'c')
    images = {k for k in hashes if k.startswith('images/')}
    assert {k for k in other if k.startswith('images/')} == images
    assert (
        other['images/000_red_circle/train_000000.png']
        != hashes['images/000_red_circle/train_000000.png']
    )


def test_more_images_keep_the_others(tmp_path):
    generate_synthetic_dataset(str(tmp_path / 'a'), **SMALL)
    generate_synthetic_dataset(str(tmp_path / 'b'), **dict(SMALL, num_train=6))
    a, b = _tree_hashes(tmp_path / 'a'), _tree_hashes(tmp_path / 'b')
    for path in (
        'images/001_green_square/train_000003.png',
        'images/002_blue_triangle/test_000002.png',
        'masks/000_red_circle/val_000001_inst0.png',
    ):
        assert a[path] == b[path]


def _check_split(root, split, num_classes, per_class, with_masks, band=0):
    """Check one split's metadata against the files it names."""
    meta = osp.join(root, 'metadata', split)
    ids = _read_lines(osp.join(meta, 'image_ids.txt'))
    assert len(ids) == len(set(ids)) == num_classes * per_class
    labels = dict(
        line.split(',')
        for line in _read_lines(osp.join(meta, 'class_labels.txt'))
    )
    assert list(labels) == ids
    dirs = class_dirs(num_classes)
    for image_id in ids:
        assert image_id.split('/')[0] == dirs[int(labels[image_id])]
        assert image_id.split('/')[1].startswith(split + '_')
    sizes = {}
    for line in _read_lines(osp.join(meta, 'image_sizes.txt')):
        image_id, w, h = line.split(',')
        sizes[image_id] = (int(w), int(h))
    assert list(sizes) == ids
    boxes = {}
    for line in _read_lines(osp.join(meta, 'localization.txt')):
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
    for line in _read_lines(mask_file):
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
            mask = _read_gray(osp.join(root, 'masks', mask_rel))
            assert mask.shape == (h, w) and set(np.unique(mask)) <= {0, 255}
            instance_masks.append(mask > 0)
        # One box per instance mask: its tight bounding box.
        assert sorted(mask_to_box(m) for m in instance_masks) == sorted(
            boxes[image_id]
        )
        union = np.any(np.stack(instance_masks), 0)
        ignore = (
            _read_gray(osp.join(root, 'masks', masks[image_id]['ignore'])) > 0
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
    assert _read_lines(osp.join(root, 'classes.txt')) == summary['classes']
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
    assert _read_lines(osp.join(root, 'metadata', 'val', 'image_ids.txt'))[
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
    lines = _read_lines(
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


# --------------------------------------------------------------------------
# Command line tool
# --------------------------------------------------------------------------
def _run_tool(*args):
    return subprocess.run(
        [sys.executable, TOOL, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_is_idempotent(tmp_path):
    out = str(tmp_path / 'cli')
    args = [
        '--out',
        out,
        '--num-classes',
        '2',
        '--num-train',
        '2',
        '--num-val',
        '1',
        '--num-test',
        '1',
        '--image-size',
        '80',
        '64',
        '--seed',
        '9',
    ]
    first = _run_tool(*args)
    assert first.returncode == 0, first.stderr
    assert 'Wrote 2 classes' in first.stdout
    hashes = _tree_hashes(out)
    second = _run_tool(*args)
    assert second.returncode == 0 and 'up to date' in second.stdout
    forced = _run_tool(*args, '--force')
    assert 'Wrote 2 classes' in forced.stdout
    assert _tree_hashes(out) == hashes
    with open(osp.join(out, 'meta.json')) as f:
        params = json.load(f)['params']
    assert params['image_size'] == [80, 64] and params['seed'] == 9
    # The same set from the library call: the CLI adds nothing of its own.
    generate_synthetic_dataset(
        str(tmp_path / 'lib'),
        num_classes=2,
        num_train=2,
        num_val=1,
        num_test=1,
        image_size=(80, 64),
        seed=9,
    )
    assert _tree_hashes(tmp_path / 'lib') == hashes


def test_cli_rejects_bad_arguments(tmp_path):
    result = _run_tool('--out', str(tmp_path / 'bad'), '--num-classes', '0')
    assert result.returncode == 2 and 'num_classes' in result.stderr
    assert not osp.exists(tmp_path / 'bad')


@pytest.mark.parametrize(
    'code',
    [
        # the generator package itself
        'import mmwsol.synthetic',
        # the command line tool, loaded as a script
        f'import runpy; runpy.run_path({TOOL!r}, run_name="probe")',
    ],
)
def test_generator_imports_neither_torch_nor_mmpretrain(code):
    probe = (
        f'import sys; {code}; '
        'print(sorted(k for k in ("torch", "mmpretrain", "mmengine") '
        'if k in sys.modules))'
    )
    result = subprocess.run(
        [sys.executable, '-c', probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'


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
