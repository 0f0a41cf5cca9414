"""Tests of the geometric transforms on boxes and seg maps.

Boxes are pixel-inclusive: ``x1`` is the last pixel column of the object.
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
from wsol_data_utils import rect_mask

from mmwsol.datasets.transforms import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    Resize,
    ResizeEdge,
    crop_bboxes,
    flip_bboxes,
    init_geometry,
)
from mmwsol.registry import TRANSFORMS


def _results(width=40, height=30, boxes=((5, 4, 20, 25),), seg=True):
    """Results of an image whose pixels encode ``(x + 1, y + 1)``."""
    ys, xs = np.mgrid[:height, :width]
    img = np.stack([xs + 1, ys + 1, np.zeros_like(xs)], -1).astype(np.uint8)
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    results = dict(
        img=img,
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_bboxes=boxes.copy(),
        ori_gt_bboxes=boxes.copy(),
    )
    if seg:
        seg_map = np.zeros((height, width), np.uint8)
        for box in boxes.astype(int):
            seg_map |= rect_mask(width, height, box).astype(np.uint8)
        results['gt_seg_map'] = seg_map
    return results


def _mask_box(seg_map):
    """Pixel-inclusive box of the foreground of a seg map (None if empty)."""
    ys, xs = np.nonzero(seg_map == 1)
    if len(xs) == 0:
        return None
    return [xs.min(), ys.min(), xs.max(), ys.max()]


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
    results = _results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
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
    expected = _results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])['gt_seg_map']
    np.testing.assert_array_equal(
        results['gt_seg_map'], expected[ys // 2, xs * 2]
    )


def test_mmcv_resize_224_matches_reference_box_rescaling():
    """Reference: each box coordinate ``int(x * 224 / w)`` (truncation)."""
    results = _results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
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
    results = _results(boxes=[(5, 2, 20, 10)])
    results = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction=direction)
    )(results)
    assert results['flip'] and results['flip_direction'] == direction
    np.testing.assert_array_equal(results['gt_bboxes'], expected)
    assert _mask_box(results['gt_seg_map']) == expected[0]
    np.testing.assert_array_equal(results['ori_gt_bboxes'], [[5, 2, 20, 10]])
    # The image is flipped like the mask: its left column came from x = 39.
    if direction == 'horizontal':
        assert results['img'][0, 0, 0] == 40


def test_mmcv_random_flip_is_one_pixel_off_for_inclusive_boxes():
    """Why mmwsol has its own RandomFlip: mmcv maps x to w - x."""
    results = MMCV_RandomFlip(prob=1.0)(_results(boxes=[(5, 2, 20, 10)]))
    np.testing.assert_array_equal(results['gt_bboxes'], [[20, 2, 35, 10]])
    assert _mask_box(results['gt_seg_map']) == [19, 2, 34, 10]


def test_random_flip_prob_zero_changes_nothing():
    results = RandomFlip(prob=0.0)(_results())
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
        _results(boxes=boxes)
    )
    assert results['img'].shape == (10, 20, 3)
    assert results['img'][0, 0, 0] == 11 and results['img'][0, 0, 1] == 11
    np.testing.assert_array_equal(
        results['gt_bboxes'], [[0, 0, 10, 9], [0, 0, 19, 9]]
    )
    np.testing.assert_array_equal(results['ori_gt_bboxes'], boxes)
    expected_seg = _results(boxes=boxes)['gt_seg_map'][10:20, 10:30]
    np.testing.assert_array_equal(results['gt_seg_map'], expected_seg)


def test_mmcv_center_crop_clips_to_w_and_keeps_outside_boxes():
    """Why mmwsol has its own CenterCrop (continuous clipping in mmcv)."""
    boxes = [(5, 4, 20, 25), (0, 0, 39, 29), (31, 0, 35, 5)]
    results = MMCV_CenterCrop(crop_size=(20, 10))(_results(boxes=boxes))
    np.testing.assert_array_equal(
        results['gt_bboxes'], [[0, 0, 10, 10], [0, 0, 20, 10], [20, 0, 20, 0]]
    )


def test_center_crop_without_border_clipping_is_mmcv():
    boxes = [(5, 4, 20, 25)]
    results = CenterCrop(crop_size=(20, 10), clip_object_border=False)(
        _results(boxes=boxes)
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
        ours = RandomCrop(**kwargs)(_results())
        np.random.seed(seed)
        theirs = MMPRE_RandomCrop(**kwargs)(_results())
        np.testing.assert_array_equal(ours['img'], theirs['img'])
        assert ours['img_shape'] == theirs['img'].shape[:2]


def test_random_crop_hand_computed():
    np.random.seed(3)
    results = RandomCrop(crop_size=(12, 16))(
        _results(boxes=[(5, 4, 20, 25), (0, 0, 2, 2)])
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
        _results(boxes=[(0, 0, 39, 29)])
    )
    np.testing.assert_array_equal(results['gt_bboxes'], [[3, 3, 42, 32]])
    seg = results['gt_seg_map']
    assert seg.shape == (36, 46)
    assert _mask_box(seg) == [3, 3, 42, 32]
    assert seg.sum() == 40 * 30  # the padded border is background


def test_random_crop_without_annotations():
    results = _results(seg=False)
    del results['gt_bboxes']
    results = RandomCrop(crop_size=8)(results)
    assert results['img'].shape == (8, 8, 3)
    assert 'gt_bboxes' not in results and 'gt_seg_map' not in results


# ------------------------------------------------- consistency (property)
@st.composite
def _sample(draw):
    width = draw(st.integers(4, 40))
    height = draw(st.integers(4, 40))
    x0 = draw(st.integers(0, width - 1))
    x1 = draw(st.integers(x0, width - 1))
    y0 = draw(st.integers(0, height - 1))
    y1 = draw(st.integers(y0, height - 1))
    return width, height, (x0, y0, x1, y1)


_TRANSFORMS = st.sampled_from(
    [
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='RandomFlip', prob=1.0, direction='vertical'),
        dict(type='RandomFlip', prob=0.5, direction='diagonal'),
        dict(type='RandomCrop', crop_size=3),
        dict(type='RandomCrop', crop_size=(5, 7), padding=2),
        dict(type='RandomCrop', crop_size=(9, 6), pad_if_needed=True),
        dict(type='CenterCrop', crop_size=(6, 4)),
        dict(type='CenterCrop', crop_size=11),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    _sample(),
    st.lists(_TRANSFORMS, min_size=1, max_size=4),
    st.integers(0, 2**31 - 1),
)
def test_boxes_stay_the_boxes_of_the_seg_map(sample, cfgs, seed):
    """Any chain of crops and flips keeps box == box of the mask pixels."""
    width, height, box = sample
    np.random.seed(seed)
    results = _results(width, height, boxes=[box])
    for cfg in cfgs:
        results = TRANSFORMS.build(dict(cfg))(results)
        mask_box = _mask_box(results['gt_seg_map'])
        if mask_box is None:
            assert results['gt_bboxes'].shape == (0, 4)
            break
        np.testing.assert_array_equal(results['gt_bboxes'], [mask_box])
        h, w = results['img'].shape[:2]
        assert results['gt_seg_map'].shape == (h, w)
    np.testing.assert_array_equal(results['ori_gt_bboxes'], [box])


# ------------------------------------------------------- geometry record
def _with_geometry(width=40, height=30, **kwargs):
    results = _results(width, height, **kwargs)
    results['wsol_geometry'] = init_geometry(height, width)
    return results


def test_resize_records_its_scale():
    results = Resize(scale=(20, 60), keep_ratio=False)(_with_geometry())
    assert results['wsol_geometry'] == dict(
        scale=(0.5, 2.0), offset=(0.0, 0.0), shape=(60, 20)
    )
    # MMCV's behaviour is kept
    np.testing.assert_allclose(results['gt_bboxes'], [[2.5, 8, 10, 50]])


def test_resize_edge_scales_boxes_and_seg_map():
    """w 40, h 30, short edge (h) to 60: (w, h) = (80, 60), scale 2."""
    results = ResizeEdge(scale=60)(
        _with_geometry(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])
    )
    assert results['img'].shape == (60, 80, 3)
    np.testing.assert_allclose(
        results['gt_bboxes'], [[10, 8, 40, 50], [0, 0, 78, 58]]
    )
    assert results['gt_seg_map'].shape == (60, 80)
    # nearest neighbour at scale 2: output (x, y) samples (x // 2, y // 2)
    ys, xs = np.mgrid[:60, :80]
    expected = _results(boxes=[(5, 4, 20, 25), (0, 0, 39, 29)])['gt_seg_map']
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
    ours = ResizeEdge(scale=17, edge='long')(_results())
    theirs = MMPRE_ResizeEdge(scale=17, edge='long')(_results())
    np.testing.assert_array_equal(ours['img'], theirs['img'])
    assert ours['scale_factor'] == theirs['scale_factor']


def test_resize_edge_then_center_crop_hand_computed():
    """500 x 400 -> ResizeEdge(256): 320 x 256 (scale 0.64), CenterCrop
    224: offset (48, 16)."""
    results = _with_geometry(500, 400, boxes=[(301, 101, 449, 349)], seg=False)
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
    results = RandomFlip(prob=1.0, direction='horizontal')(_with_geometry())
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
        assert 'wsol_geometry' not in transform(_results())


# the box-moving transforms above, with the padding variant of CenterCrop
_GEOMETRY_TRANSFORMS = st.one_of(
    _TRANSFORMS.filter(lambda cfg: cfg.get('crop_size') != 11),
    st.just(dict(type='CenterCrop', crop_size=11, auto_pad=True)),
)


@settings(max_examples=100, deadline=None)
@given(
    _sample(),
    st.lists(_GEOMETRY_TRANSFORMS, min_size=1, max_size=4),
    st.integers(0, 2**31 - 1),
)
def test_geometry_record_says_where_each_pixel_went(sample, cfgs, seed):
    """Crops and flips: every output pixel that comes from the original
    image (pixels encode ``(x + 1, y + 1)``, padding 0) sits at
    ``(sx * x + ox, sy * y + oy)`` of the record."""
    width, height, box = sample
    np.random.seed(seed)
    results = _with_geometry(width, height, boxes=[box])
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
