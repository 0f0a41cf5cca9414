"""Tests of the geometry record that the geometric transforms keep
(``results['wsol_geometry']``): hand-computed records and a property
test that the record says where each pixel went."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mmpretrain.datasets.transforms import ResizeEdge as MMPRE_ResizeEdge
from transform_utils import (
    GEOMETRY_TRANSFORMS,
    box_samples,
    coded_results,
    with_geometry,
)

from mmwsol.datasets.transforms import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    Resize,
    ResizeEdge,
)
from mmwsol.registry import TRANSFORMS


def test_resize_records_its_scale():
    results = Resize(scale=(20, 60), keep_ratio=False)(with_geometry())
    assert results['wsol_geometry'] == dict(
        scale=(0.5, 2.0), offset=(0.0, 0.0), shape=(60, 20)
    )
    # MMCV's behaviour is kept
    np.testing.assert_allclose(results['gt_bboxes'], [[2.5, 8, 10, 50]])


def test_resize_edge_scales_boxes_and_seg_map():
    """w 40, h 30, short edge (h) to 60: (w, h) = (80, 60), scale 2."""
    results = ResizeEdge(scale=60)(
        with_geometry(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
    )
    assert results['img'].shape == (60, 80, 3)
    np.testing.assert_allclose(
        results['gt_bboxes'], [[10, 8, 40, 50], [0, 0, 78, 58]]
    )
    assert results['gt_seg_map'].shape == (60, 80)
    # nearest neighbour at scale 2: output (x, y) samples (x // 2, y // 2)
    ys, xs = np.mgrid[:60, :80]
    expected = coded_results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])[
        'gt_seg_map'
    ]
    np.testing.assert_array_equal(
        results['gt_seg_map'], expected[ys // 2, xs // 2]
    )
    assert results['wsol_geometry'] == dict(
        scale=(2.0, 2.0), offset=(0.0, 0.0), shape=(60, 80)
    )
    np.testing.assert_array_equal(
        results['ori_gt_bboxes'], [[5, 4, 20, 25], [0, 0, 39, 29]]
    )


def test_resize_edge_image_identical_to_mmpretrain():
    ours = ResizeEdge(scale=17, edge='long')(coded_results())
    theirs = MMPRE_ResizeEdge(scale=17, edge='long')(coded_results())
    np.testing.assert_array_equal(ours['img'], theirs['img'])
    assert ours['scale_factor'] == theirs['scale_factor']


def test_resize_edge_then_center_crop_hand_computed():
    """500 x 400 -> ResizeEdge(256): 320 x 256 (scale 0.64), CenterCrop
    224: offset (48, 16)."""
    results = with_geometry(500, 400, boxes=[(301, 101, 449, 349)], seg=False)
    results = ResizeEdge(scale=256)(results)
    results = CenterCrop(crop_size=224)(results)
    assert results['img'].shape[:2] == (224, 224)
    assert results['wsol_geometry'] == dict(
        scale=(0.64, 0.64), offset=(-48.0, -16.0), shape=(224, 224)
    )
    # the transformed box: 0.64 * [301, 101, 449, 349] - [48, 16, 48, 16]
    # = [144.64, 48.64, 239.36, 207.36], x1 clipped to 223
    np.testing.assert_allclose(
        results['gt_bboxes'], [[144.64, 48.64, 223, 207.36]], rtol=1e-6
    )


def test_crop_and_flip_records():
    results = RandomFlip(prob=1.0, direction='horizontal')(with_geometry())
    assert results['wsol_geometry'] == dict(
        scale=(-1.0, 1.0), offset=(39.0, 0.0), shape=(30, 40)
    )
    results = CenterCrop(crop_size=(10, 20))(results)
    # x1 = round((40 - 10) / 2) = 15, y1 = round((30 - 20) / 2) = 5
    assert results['wsol_geometry'] == dict(
        scale=(-1.0, 1.0), offset=(24.0, -5.0), shape=(20, 10)
    )


def test_transforms_without_a_record_add_none():
    for transform in (
        Resize(scale=(20, 60)),
        ResizeEdge(scale=10),
        CenterCrop(crop_size=5),
        RandomCrop(crop_size=5),
        RandomFlip(prob=1.0),
    ):
        assert 'wsol_geometry' not in transform(coded_results())


@settings(max_examples=100, deadline=None)
@given(
    box_samples(),
    st.lists(GEOMETRY_TRANSFORMS, min_size=1, max_size=4),
    st.integers(0, 2**31 - 1),
)
def test_geometry_record_says_where_each_pixel_went(sample, cfgs, seed):
    """Crops and flips: every output pixel that comes from the original
    image (pixels encode ``(x + 1, y + 1)``, padding 0) sits at
    ``(sx * x + ox, sy * y + oy)`` of the record."""
    width, height, box = sample
    np.random.seed(seed)
    results = with_geometry(width, height, boxes=[box])
    for cfg in cfgs:
        results = TRANSFORMS.build(dict(cfg))(results)
    geometry = results['wsol_geometry']
    img = results['img'].astype(np.int64)
    assert geometry['shape'] == img.shape[:2]
    (sx, sy), (ox, oy) = geometry['scale'], geometry['offset']
    ys, xs = np.mgrid[: img.shape[0], : img.shape[1]]
    inside = (img[..., 0] > 0) & (img[..., 1] > 0)
    np.testing.assert_array_equal(
        sx * (img[..., 0][inside] - 1) + ox, xs[inside]
    )
    np.testing.assert_array_equal(
        sy * (img[..., 1][inside] - 1) + oy, ys[inside]
    )
