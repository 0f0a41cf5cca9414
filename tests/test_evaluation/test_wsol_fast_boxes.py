"""The many-level paths of the box protocol equal OpenCV, level by level.

``level_best_ious`` (the compiled sweeps, or OpenCV once per distinct level)
and ``union_boxes_at_levels`` (row and column maxima) serve every level of a
map at once; these tests hold them to the literal reference (one
``cv2.findContours`` per level, tests/test_evaluation/wsol_eval_reference.py)
on random maps, maps with rings and holes, constant maps and full-size
CAM-like maps. The GT boxes include boxes of the reference itself, so a
missing or extra box changes the best IoU.
"""

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from wsol_eval_reference import (
    gaussian_blobs,
    normalise,
    random_gt_boxes,
    random_maps,
    ref_best_ious,
    ref_boxes_at_level,
    ref_iou,
    ref_thresholds,
    rings,
    upsampled_noise,
)

from mmwsol.evaluation.functional import (
    box_correctness,
    boxes_at_thresholds,
    level_best_ious,
    scoremap_to_uint8,
    union_boxes_at_levels,
)
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

MODES = ('all', 'largest', 'union')
ALL_LEVELS = np.arange(256)


def implementations(mode):
    """Every implementation of ``level_best_ious`` that serves ``mode``."""
    compiled = has_compiled_sweep() and mode != 'union'
    return ('auto', 'opencv') + (('compiled',) if compiled else ())


def reference_gt(u8, mode):
    """GT boxes taken from the reference boxes of a few levels (at most 8),
    plus the whole map."""
    height, width = u8.shape
    gt = [[0, 0, width - 1, height - 1]]
    for level in (0, int(u8.max()) // 3, 2 * int(u8.max()) // 3):
        gt.extend(ref_boxes_at_level(u8, level, mode)[:3])
    return np.array(gt[:8])


def assert_same_boxes(u8, levels, mode):
    """The best IoUs of every implementation (and, in mode 'union', the
    boxes themselves) equal one OpenCV call per level."""
    expected_boxes = [ref_boxes_at_level(u8, int(v), mode) for v in levels]
    if mode == 'union':
        got = union_boxes_at_levels(u8, levels)
        assert got.tolist() == [boxes[0] for boxes in expected_boxes]
    gt = reference_gt(u8, mode)
    expected = [
        max(ref_iou(b, g) for b in boxes for g in gt)
        for boxes in expected_boxes
    ]
    for implementation in implementations(mode):
        got = level_best_ious(u8, gt, levels, mode, implementation)
        assert got.tolist() == expected, (mode, implementation)


# ------------------------------------------------------ random uint8 maps
small_maps = hnp.arrays(
    np.uint8,
    st.tuples(st.integers(1, 14), st.integers(1, 14)),
    # few distinct values make plateaus, rings and holes likely
    elements=st.one_of(
        st.sampled_from([0, 0, 40, 90, 200, 255]), st.integers(0, 255)
    ),
)


@settings(max_examples=120, deadline=None)
@given(small_maps, st.sampled_from(MODES))
def test_random_maps_every_level(u8, mode):
    assert_same_boxes(u8, ALL_LEVELS, mode)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(2, 24), st.integers(2, 24)),
        elements=st.sampled_from([0, 1, 2]),
    ),
    st.sampled_from(MODES),
)
def test_three_level_maps_every_level(u8, mode):
    """Dense noise of three values: many nested components and holes."""
    assert_same_boxes(u8 * 100, np.arange(0, 256, 25), mode)


@st.composite
def painted_maps(draw):
    """Rectangles and rings painted over each other, holes included."""
    height = draw(st.integers(3, 32))
    width = draw(st.integers(3, 32))
    u8 = np.full((height, width), draw(st.sampled_from([0, 10])), np.uint8)
    for _ in range(draw(st.integers(1, 6))):
        y0 = draw(st.integers(0, height - 1))
        x0 = draw(st.integers(0, width - 1))
        y1 = draw(st.integers(y0, height - 1))
        x1 = draw(st.integers(x0, width - 1))
        value = draw(st.integers(0, 255))
        u8[y0 : y1 + 1, x0 : x1 + 1] = value
        if draw(st.booleans()) and y1 - y0 >= 2 and x1 - x0 >= 2:
            # cut a hole (possibly touching the ring's border)
            t = draw(st.integers(1, max(1, (min(y1 - y0, x1 - x0)) // 2)))
            u8[y0 + t : y1 + 1 - t, x0 + t : x1 + 1 - t] = draw(
                st.integers(0, 255)
            )
    return u8


@settings(max_examples=120, deadline=None)
@given(painted_maps(), st.sampled_from(MODES))
def test_rings_and_holes_every_level(u8, mode):
    assert_same_boxes(u8, ALL_LEVELS, mode)


def test_hole_boxes_are_found_in_all_mode():
    u8 = np.zeros((9, 11), np.uint8)
    u8[1:8, 1:9] = 200  # rows 1..7, cols 1..8
    u8[3:6, 3:6] = 0  # hole rows/cols 3..5
    u8[4, 4] = 250  # an island in the hole
    levels = [0, 199, 200, 249, 250]
    # outer [1, 1, 9, 8], hole [2, 2, 7, 7] (grown by one), island
    # [4, 4, 5, 5]; from 200 on only the island; nothing from 250 on
    for box, present in (
        ([1, 1, 9, 8], [1, 1, 0, 0, 0]),
        ([2, 2, 7, 7], [1, 1, 0, 0, 0]),
        ([4, 4, 5, 5], [1, 1, 1, 1, 0]),
    ):
        for implementation in implementations('all'):
            got = level_best_ious(
                u8, np.array([box]), levels, 'all', implementation
            )
            assert (got == 1.0).tolist() == [bool(p) for p in present]
    assert_same_boxes(u8, ALL_LEVELS, 'all')


def test_largest_ties_follow_opencv_order():
    """Equal contour areas: OpenCV lists the later first pixel first."""
    u8 = np.zeros((10, 12), np.uint8)
    u8[1, 1] = u8[1, 8] = u8[6, 3] = 200  # three single pixels: area 0
    u8[4:6, 9:11] = 100  # a 2 x 2 block: area 1, only below level 100
    # at level 150 the three pixels tie; the one at (6, 3) starts last
    for implementation in implementations('largest'):
        for level, box in ((150, [3, 6, 4, 7]), (50, [9, 4, 11, 6])):
            got = level_best_ious(
                u8, np.array([box]), [level], 'largest', implementation
            )
            assert got.tolist() == [1.0], (implementation, level)
    assert_same_boxes(u8, ALL_LEVELS, 'largest')


@pytest.mark.parametrize('value', [0, 1, 128, 255])
@pytest.mark.parametrize('mode', MODES)
def test_constant_maps(value, mode):
    u8 = np.full((7, 9), value, np.uint8)
    for implementation in implementations(mode):
        got = level_best_ious(
            u8, np.array([[0, 0, 8, 6]]), ALL_LEVELS, mode, implementation
        )
        # the whole map below the value, the empty box [0, 0, 0, 0] above
        empty = ref_iou([0, 0, 0, 0], [0, 0, 8, 6])
        assert got.tolist() == [
            1.0 if level < value else empty for level in ALL_LEVELS
        ]
    assert_same_boxes(u8, ALL_LEVELS, mode)


# ------------------------------------------------------- CAM-like maps
def noisy_map(rng, height, width, amplitude=0.05):
    base = upsampled_noise(rng, height, width)
    return normalise(
        np.clip(base + amplitude * rng.standard_normal(base.shape), 0, None)
    )


@pytest.mark.parametrize('mode', MODES)
def test_full_size_maps_every_level(mode):
    rng = np.random.default_rng(31)
    maps = [
        gaussian_blobs(rng, 224, 224, 4),
        upsampled_noise(rng, 224, 224),
        rings(rng, 224, 224, 3),
        noisy_map(rng, 224, 224),
    ]
    for scoremap in maps:
        assert_same_boxes(scoremap_to_uint8(scoremap), ALL_LEVELS[:255], mode)


@pytest.mark.parametrize('height, width', [(224, 224), (40, 70), (63, 17)])
@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('implementation', ['auto', 'opencv', 'compiled'])
def test_best_ious_with_several_gt_boxes(height, width, mode, implementation):
    if implementation == 'compiled' and implementation not in implementations(
        mode
    ):
        pytest.skip('the compiled sweeps do not serve this mode')
    rng = np.random.default_rng(height + 3 * width)
    thresholds = ref_thresholds(0.01)
    for scoremap in random_maps(rng, height, width)[:6] + [
        noisy_map(rng, height, width)
    ]:
        gt = random_gt_boxes(rng, height, width, int(rng.integers(1, 5)))
        # and one box drawn from the map's own boxes, so IoUs get high
        u8 = scoremap_to_uint8(scoremap)
        own = ref_boxes_at_level(u8, int(0.3 * int(u8.max())), 'all')
        gt.append(list(own[0]))
        expected = ref_best_ious(scoremap, gt, thresholds, mode)
        levels = [int(t * int(u8.max())) for t in thresholds]
        got = level_best_ious(u8, np.array(gt), levels, mode, implementation)
        assert got.tolist() == expected


def test_levels_in_any_order_with_repeats():
    rng = np.random.default_rng(4)
    u8 = scoremap_to_uint8(noisy_map(rng, 50, 60))
    gt = np.array([[5, 7, 30, 40], [20, 3, 58, 22]])
    levels = rng.integers(0, 256, 300)
    for implementation in implementations('all'):
        got = level_best_ious(u8, gt, levels, 'all', implementation)
        for level, value in zip(levels, got):
            boxes = ref_boxes_at_level(u8, int(level), 'all')
            assert value == max(ref_iou(b, g) for b in boxes for g in gt)
    boxes = union_boxes_at_levels(u8, levels)
    for level, box in zip(levels, boxes):
        assert [box.tolist()] == ref_boxes_at_level(u8, int(level), 'union')


def test_boxes_at_thresholds_equal_opencv_per_threshold():
    rng = np.random.default_rng(8)
    scoremap = noisy_map(rng, 40, 50)
    thresholds = ref_thresholds(0.01)
    u8 = scoremap_to_uint8(scoremap)
    for mode in MODES:
        got = boxes_at_thresholds(scoremap, thresholds, mode)
        assert len(got) == len(thresholds)
        for t, boxes in zip(thresholds, got):
            expected = ref_boxes_at_level(u8, int(t * int(u8.max())), mode)
            assert sorted(boxes.tolist()) == sorted(expected)


def test_invalid_inputs():
    u8 = np.zeros((4, 4), np.uint8)
    gt = np.array([[0, 0, 1, 1]])
    with pytest.raises(ValueError, match='box mode'):
        level_best_ious(u8, gt, [0], 'biggest')
    with pytest.raises(ValueError, match='non-negative'):
        level_best_ious(u8, gt, [-1], 'all')
    with pytest.raises(ValueError, match='uint8'):
        level_best_ious(np.zeros((4, 4)), gt, [0], 'all')
    with pytest.raises(ValueError, match='box mode'):
        boxes_at_thresholds(np.zeros((4, 4)), [0.5], 'biggest')


# ---------------------------------------------------------- invariances
@settings(max_examples=40, deadline=None)
@given(painted_maps(), st.sampled_from(['all', 'union']))
def test_transposing_the_map_transposes_the_boxes(u8, mode):
    """The protocol treats x and y alike (ties aside, hence not
    'largest')."""
    gt = reference_gt(u8, mode)
    direct = level_best_ious(u8, gt, ALL_LEVELS, mode)
    transposed = level_best_ious(
        np.ascontiguousarray(u8.T), gt[:, [1, 0, 3, 2]], ALL_LEVELS, mode
    )
    assert direct.tolist() == transposed.tolist()


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        (12, 15),
        elements=st.floats(0, 1, allow_nan=False, width=32),
    ),
    st.floats(0.1, 10),
    st.sampled_from(MODES),
)
def test_scaling_before_normalisation(raw, scale, mode):
    """Rescaling the raw map does not change the result when the uint8 map
    is unchanged (the protocol only sees the uint8 map)."""
    assume(raw.max() > raw.min())
    a = normalise(raw)
    b = normalise(raw * scale)
    assume(np.array_equal(scoremap_to_uint8(a), scoremap_to_uint8(b)))
    gt = np.array([[2, 3, 9, 10], [0, 0, 14, 4]])
    thresholds = ref_thresholds(0.01)
    assert np.array_equal(
        box_correctness(a, gt, thresholds, (30, 50, 70), mode),
        box_correctness(b, gt, thresholds, (30, 50, 70), mode),
    )


@settings(max_examples=40, deadline=None)
@given(painted_maps())
def test_union_box_shrinks_as_the_level_rises(u8):
    boxes = union_boxes_at_levels(u8, ALL_LEVELS)
    nonempty = ALL_LEVELS < u8.max()
    inner = boxes[1:][nonempty[1:]]
    outer = boxes[:-1][nonempty[1:]]
    assert (inner[:, :2] >= outer[:, :2]).all()
    assert (inner[:, 2:] <= outer[:, 2:]).all()


@pytest.mark.skipif(not has_compiled_sweep(), reason='compiled sweep')
def test_compiled_and_union_paths_trace_no_contour(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError('findContours called')

    monkeypatch.setattr(cv2, 'findContours', fail)
    rng = np.random.default_rng(0)
    u8 = scoremap_to_uint8(noisy_map(rng, 30, 30))
    for mode in MODES:
        level_best_ious(u8, np.array([[1, 1, 20, 20]]), ALL_LEVELS, mode)
