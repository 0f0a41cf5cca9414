"""Tests of the geometric transforms on boxes and seg maps.

Boxes are pixel-inclusive: ``x1`` is the last pixel column of the object.
The geometry record the transforms keep: test_geometry.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mmcv.transforms import CenterCrop as MMCV_CenterCrop
from mmcv.transforms import RandomFlip as MMCV_RandomFlip
from mmcv.transforms import Resize as MMCV_Resize
from mmpretrain.datasets.transforms import RandomCrop as MMPRE_RandomCrop
from mmpretrain.datasets.transforms import ResizeEdge as MMPRE_ResizeEdge
from mmpretrain.registry import TRANSFORMS as MMPRE_TRANSFORMS
from transform_utils import (
    CROP_FLIP_TRANSFORMS,
    box_samples,
    coded_results,
    seg_map_box,
)

from mmwsol.datasets.transforms import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    Resize,
    ResizeEdge,
    crop_bboxes,
    flip_bboxes,
)
from mmwsol.registry import TRANSFORMS


def test_registry_names_resolve_to_the_wsol_variants():
    assert TRANSFORMS.get('RandomCrop') is RandomCrop
    assert TRANSFORMS.get('CenterCrop') is CenterCrop
    assert TRANSFORMS.get('RandomFlip') is RandomFlip
    # MMCV's Resize and mmpretrain's ResizeEdge plus the geometry record
    assert TRANSFORMS.get('Resize') is Resize
    assert issubclass(Resize, MMCV_Resize)
    assert TRANSFORMS.get('ResizeEdge') is ResizeEdge
    assert issubclass(ResizeEdge, MMPRE_ResizeEdge)
    assert MMPRE_TRANSFORMS.get('RandomFlip') is MMCV_RandomFlip


# ----------------------------------------------------------------- Resize
def test_mmcv_resize_scales_boxes_and_seg_map():
    results = coded_results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
    results = Resize(scale=(20, 60), keep_ratio=False)(results)
    assert results['img'].shape == (60, 20, 3)
    assert results['scale_factor'] == (0.5, 2.0)
    np.testing.assert_allclose(
        results['gt_bboxes'], [[2.5, 8, 10, 50], [0, 0, 19.5, 58]]
    )
    np.testing.assert_array_equal(
        results['ori_gt_bboxes'], [[5, 4, 20, 25], [0, 0, 39, 29]]
    )
    # Nearest neighbour: output pixel (x, y) samples input (2x, y // 2).
    ys, xs = np.mgrid[:60, :20]
    expected = coded_results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])[
        'gt_seg_map'
    ]
    np.testing.assert_array_equal(
        results['gt_seg_map'], expected[ys // 2, xs * 2]
    )


def test_mmcv_resize_224_matches_reference_box_rescaling():
    """Reference: each box coordinate ``int(x * 224 / w)`` (truncation)."""
    results = coded_results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
    results = Resize(scale=(224, 224), keep_ratio=False)(results)
    # int(5*224/40)=28, int(4*224/30)=29, int(20*224/40)=112,
    # int(25*224/30)=186; int(39*224/40)=218, int(29*224/30)=216
    np.testing.assert_array_equal(
        np.floor(results['gt_bboxes']), [[28, 29, 112, 186], [0, 0, 218, 216]]
    )


# ------------------------------------------------------------- RandomFlip
def test_flip_bboxes_hand_computed():
    boxes = np.array([[5, 2, 20, 10]], dtype=np.float32)
    np.testing.assert_array_equal(
        flip_bboxes(boxes, 40, 30, 'horizontal'), [[19, 2, 34, 10]]
    )
    np.testing.assert_array_equal(
        flip_bboxes(boxes, 40, 30, 'vertical'), [[5, 19, 20, 27]]
    )
    np.testing.assert_array_equal(
        flip_bboxes(boxes, 40, 30, 'diagonal'), [[19, 19, 34, 27]]
    )
    with pytest.raises(ValueError):
        flip_bboxes(boxes, 40, 30, 'sideways')


@pytest.mark.parametrize(
    'direction, expected',
    [
        ('horizontal', [[19, 2, 34, 10]]),
        ('vertical', [[5, 19, 20, 27]]),
    ],
)
def test_random_flip_keeps_boxes_on_the_flipped_mask(direction, expected):
    results = coded_results(boxes=[(5, 2, 20, 10)])
    results = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction=direction)
    )(results)
    assert results['flip'] and results['flip_direction'] == direction
    np.testing.assert_array_equal(results['gt_bboxes'], expected)
    assert seg_map_box(results['gt_seg_map']) == expected[0]
    np.testing.assert_array_equal(results['ori_gt_bboxes'], [[5, 2, 20, 10]])
    # The image is flipped like the mask: its left column came from x = 39.
    if direction == 'horizontal':
        assert results['img'][0, 0, 0] == 40


def test_mmcv_random_flip_is_one_pixel_off_for_inclusive_boxes():
    """Why mmwsol has its own RandomFlip: mmcv maps x to w - x."""
    results = MMCV_RandomFlip(prob=1.0)(coded_results(boxes=[(5, 2, 20, 10)]))
    np.testing.assert_array_equal(results['gt_bboxes'], [[20, 2, 35, 10]])
    assert seg_map_box(results['gt_seg_map']) == [19, 2, 34, 10]


def test_random_flip_prob_zero_changes_nothing():
    results = RandomFlip(prob=0.0)(coded_results())
    assert not results['flip']
    np.testing.assert_array_equal(results['gt_bboxes'], [[5, 4, 20, 25]])


# ------------------------------------------------------------- CenterCrop
def test_crop_bboxes_hand_computed():
    boxes = np.array(
        [[5, 4, 20, 25], [0, 0, 39, 29], [31, 0, 35, 5], [29, 19, 33, 22]],
        dtype=np.float32,
    )
    cropped, keep = crop_bboxes(boxes, 10, 10, 20, 10)
    np.testing.assert_array_equal(keep, [True, True, False, True])
    np.testing.assert_array_equal(
        cropped, [[0, 0, 10, 9], [0, 0, 19, 9], [19, 9, 19, 9]]
    )
    assert cropped.dtype == np.float32
    empty, keep = crop_bboxes(np.zeros((0, 4)), 1, 1, 5, 5)
    assert empty.shape == (0, 4) and keep.shape == (0,)


def test_center_crop_hand_computed():
    # 40x30 image, crop w=20, h=10: columns 10..29, rows 10..19.
    boxes = [(5, 4, 20, 25), (0, 0, 39, 29), (31, 0, 35, 5)]
    results = TRANSFORMS.build(dict(type='CenterCrop', crop_size=(20, 10)))(
        coded_results(boxes=boxes)
    )
    assert results['img'].shape == (10, 20, 3)
    assert results['img'][0, 0, 0] == 11 and results['img'][0, 0, 1] == 11
    np.testing.assert_array_equal(
        results['gt_bboxes'], [[0, 0, 10, 9], [0, 0, 19, 9]]
    )
    np.testing.assert_array_equal(results['ori_gt_bboxes'], boxes)
    expected_seg = coded_results(boxes=boxes)['gt_seg_map'][10:20, 10:30]
    np.testing.assert_array_equal(results['gt_seg_map'], expected_seg)


def test_mmcv_center_crop_clips_to_w_and_keeps_outside_boxes():
    """Why mmwsol has its own CenterCrop (continuous clipping in mmcv)."""
    boxes = [(5, 4, 20, 25), (0, 0, 39, 29), (31, 0, 35, 5)]
    results = MMCV_CenterCrop(crop_size=(20, 10))(coded_results(boxes=boxes))
    np.testing.assert_array_equal(
        results['gt_bboxes'], [[0, 0, 10, 10], [0, 0, 20, 10], [20, 0, 20, 0]]
    )


def test_center_crop_without_border_clipping_is_mmcv():
    boxes = [(5, 4, 20, 25)]
    results = CenterCrop(crop_size=(20, 10), clip_object_border=False)(
        coded_results(boxes=boxes)
    )
    np.testing.assert_array_equal(results['gt_bboxes'], [[-5, -6, 10, 15]])


# ------------------------------------------------------------- RandomCrop
@pytest.mark.parametrize(
    'kwargs',
    [
        dict(crop_size=24),
        dict(crop_size=(20, 30)),
        dict(crop_size=24, padding=3),
        dict(crop_size=(40, 50), pad_if_needed=True, padding_mode='reflect'),
        dict(
            crop_size=(36, 44), padding=(1, 2), pad_if_needed=True, pad_val=7
        ),
    ],
)
def test_random_crop_image_identical_to_mmpretrain(kwargs):
    for seed in range(5):
        np.random.seed(seed)
        ours = RandomCrop(**kwargs)(coded_results())
        np.random.seed(seed)
        theirs = MMPRE_RandomCrop(**kwargs)(coded_results())
        np.testing.assert_array_equal(ours['img'], theirs['img'])
        assert ours['img_shape'] == theirs['img'].shape[:2]


def test_random_crop_hand_computed():
    np.random.seed(3)
    results = RandomCrop(crop_size=(12, 16))(
        coded_results(boxes=[(5, 4, 20, 25), (0, 0, 2, 2)])
    )
    # The pixel values give the crop offset.
    x_off = int(results['img'][0, 0, 0]) - 1
    y_off = int(results['img'][0, 0, 1]) - 1
    assert results['img'].shape == (12, 16, 3)
    expected = []
    for x0, y0, x1, y1 in [(5, 4, 20, 25), (0, 0, 2, 2)]:
        box = [x0 - x_off, y0 - y_off, x1 - x_off, y1 - y_off]
        if box[2] < 0 or box[0] > 15 or box[3] < 0 or box[1] > 11:
            continue
        expected.append(
            [
                min(max(box[0], 0), 15),
                min(max(box[1], 0), 11),
                min(max(box[2], 0), 15),
                min(max(box[3], 0), 11),
            ]
        )
    np.testing.assert_array_equal(
        results['gt_bboxes'].reshape(-1, 4), np.array(expected).reshape(-1, 4)
    )
    np.testing.assert_array_equal(
        results['ori_gt_bboxes'], [[5, 4, 20, 25], [0, 0, 2, 2]]
    )


def test_random_crop_with_padding_shifts_boxes():
    # Crop the whole padded image: boxes move by the padding.
    results = RandomCrop(crop_size=(36, 46), padding=3)(
        coded_results(boxes=[(0, 0, 39, 29)])
    )
    np.testing.assert_array_equal(results['gt_bboxes'], [[3, 3, 42, 32]])
    seg = results['gt_seg_map']
    assert seg.shape == (36, 46)
    assert seg_map_box(seg) == [3, 3, 42, 32]
    assert seg.sum() == 40 * 30  # the padded border is background


def test_random_crop_without_annotations():
    results = coded_results(seg=False)
    del results['gt_bboxes']
    results = RandomCrop(crop_size=8)(results)
    assert results['img'].shape == (8, 8, 3)
    assert 'gt_bboxes' not in results and 'gt_seg_map' not in results


# ------------------------------------------------- consistency (property)
@settings(max_examples=150, deadline=None)
@given(
    box_samples(),
    st.lists(CROP_FLIP_TRANSFORMS, min_size=1, max_size=4),
    st.integers(0, 2**31 - 1),
)
def test_boxes_stay_the_boxes_of_the_seg_map(sample, cfgs, seed):
    """Any chain of crops and flips keeps box == box of the mask pixels."""
    width, height, box = sample
    np.random.seed(seed)
    results = coded_results(width, height, boxes=[box])
    for cfg in cfgs:
        results = TRANSFORMS.build(dict(cfg))(results)
        mask_box = seg_map_box(results['gt_seg_map'])
        if mask_box is None:
            assert results['gt_bboxes'].shape == (0, 4)
            break
        np.testing.assert_array_equal(results['gt_bboxes'], [mask_box])
        h, w = results['img'].shape[:2]
        assert results['gt_seg_map'].shape == (h, w)
    np.testing.assert_array_equal(results['ori_gt_bboxes'], [box])
