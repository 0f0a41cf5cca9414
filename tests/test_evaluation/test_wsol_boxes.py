"""Tests of the box functions of the WSOL protocol (mmwsol.evaluation)."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from wsol_eval_reference import (
    random_gt_boxes,
    random_maps,
    ref_boxes,
    ref_boxes_at_level,
    ref_correctness,
    ref_iou,
    ref_rescale,
    ref_thresholds,
)

from mmwsol.evaluation.functional import (
    best_iou_curve,
    box_correctness,
    box_iou,
    boxes_at_thresholds,
    boxes_from_foreground,
    cam_thresholds,
    fixed_threshold_boxes,
    fixed_threshold_iou,
    fixed_threshold_level,
    max_box_accuracy,
    rescale_boxes,
    resolve_box_backend,
    scoremap_to_uint8,
    threshold_levels,
)
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep


def exact_map(u8):
    """A float map whose ``uint8(map * 255)`` is exactly ``u8``."""
    u8 = np.asarray(u8, dtype=np.float64)
    return np.where(u8 == 255, 1.0, (u8 + 0.5) / 255)


# ------------------------------------------------------------- thresholds
def test_cam_thresholds():
    assert np.array_equal(cam_thresholds(), np.arange(0, 1, 0.01))
    assert len(cam_thresholds(0.01)) == 100
    assert len(cam_thresholds(0.001)) == 1000
    assert cam_thresholds(0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    with pytest.raises(ValueError):
        cam_thresholds(0)


def test_scoremap_to_uint8_truncates():
    scoremap = np.array([[0.0, 0.5, 1.0], [0.999, 0.002, 0.0039]])
    # 127.5 -> 127, 254.745 -> 254, 0.51 -> 0, 0.9945 -> 0
    assert scoremap_to_uint8(scoremap).tolist() == [[0, 127, 255], [254, 0, 0]]
    assert scoremap_to_uint8(np.full((2, 2), np.nan)).tolist() == [
        [0, 0],
        [0, 0],
    ]
    with pytest.raises(ValueError, match='range'):
        scoremap_to_uint8(np.array([[0.0, 1.5]]))
    with pytest.raises(ValueError, match='range'):
        scoremap_to_uint8(np.array([[-0.1, 1.0]]))
    with pytest.raises(ValueError, match='2-D'):
        scoremap_to_uint8(np.zeros((2, 2, 2)))


def test_float32_map_is_read_in_float64():
    rng = np.random.default_rng(0)
    scoremap = rng.random((20, 30)).astype(np.float32)
    expected = (scoremap.astype(np.float64) * 255).astype(np.uint8)
    assert np.array_equal(scoremap_to_uint8(scoremap), expected)


def test_threshold_levels():
    u8 = np.array([[0, 200]], dtype=np.uint8)
    # int(t * 200)
    assert threshold_levels(u8, [0.0, 0.5, 0.333, 0.999]).tolist() == [
        0,
        100,
        66,
        199,
    ]
    assert threshold_levels(
        np.zeros((2, 2), np.uint8), [0.0, 0.7]
    ).tolist() == [0, 0]


# ------------------------------------------------------- hand-made boxes
def test_single_block_box():
    foreground = np.zeros((6, 8), dtype=bool)
    foreground[1:3, 2:5] = True  # rows 1..2, cols 2..4
    # boundingRect (2, 1, 3, 2) -> [x, y, x + w, y + h]
    for mode in ('all', 'largest'):
        assert boxes_from_foreground(foreground, mode).tolist() == [
            [2, 1, 5, 3]
        ]


def test_box_clipped_to_last_pixel():
    foreground = np.zeros((6, 8), dtype=bool)
    foreground[3:6, 5:8] = True  # touches the bottom-right corner
    # [5, 3, 8, 6] clipped to W - 1 = 7, H - 1 = 5
    assert boxes_from_foreground(foreground).tolist() == [[5, 3, 7, 5]]
    full = np.ones((6, 8), dtype=bool)
    assert boxes_from_foreground(full).tolist() == [[0, 0, 7, 5]]


def test_single_pixel_and_empty():
    foreground = np.zeros((5, 5), dtype=bool)
    assert boxes_from_foreground(foreground).tolist() == [[0, 0, 0, 0]]
    assert boxes_from_foreground(foreground, 'largest').tolist() == [
        [0, 0, 0, 0]
    ]
    foreground[2, 3] = True
    assert boxes_from_foreground(foreground).tolist() == [[3, 2, 4, 3]]


def test_two_blobs_all_vs_largest():
    foreground = np.zeros((10, 12), dtype=bool)
    foreground[1:3, 1:4] = True  # 2 x 3 block: contour area (3-1)*(2-1) = 2
    foreground[5:9, 6:10] = True  # 4 x 4 block: contour area 3 * 3 = 9
    boxes = sorted(boxes_from_foreground(foreground, 'all').tolist())
    assert boxes == [[1, 1, 4, 3], [6, 5, 10, 9]]
    assert boxes_from_foreground(foreground, 'largest').tolist() == [
        [6, 5, 10, 9]
    ]


def test_ring_hole_contour_counts_in_all_mode():
    foreground = np.zeros((9, 9), dtype=bool)
    foreground[1:8, 1:8] = True  # 7 x 7 square, rows/cols 1..7
    foreground[3:6, 3:6] = False  # 3 x 3 hole, rows/cols 3..5
    # Outer contour: rect (1, 1, 7, 7) -> [1, 1, 8, 8].
    # Hole contour: traced on the foreground pixels 4-adjacent to the hole,
    # rows/cols 2..6 -> rect (2, 2, 5, 5) -> [2, 2, 7, 7].
    boxes = sorted(boxes_from_foreground(foreground, 'all').tolist())
    assert boxes == [[1, 1, 8, 8], [2, 2, 7, 7]]
    # The outer contour (area 36) is larger than the hole's (14).
    assert boxes_from_foreground(foreground, 'largest').tolist() == [
        [1, 1, 8, 8]
    ]


def test_union_box_hand_computed():
    foreground = np.zeros((10, 12), dtype=bool)
    foreground[1:3, 1:4] = True  # rows 1..2, cols 1..3
    foreground[5:9, 6:10] = True  # rows 5..8, cols 6..9
    # one box around both: x 1..9, y 1..8 -> [1, 1, 9 + 1, 8 + 1]
    assert boxes_from_foreground(foreground, 'union').tolist() == [
        [1, 1, 10, 9]
    ]
    # the bounding rects of the two contours, 'all' mode
    assert sorted(boxes_from_foreground(foreground).tolist()) == [
        [1, 1, 4, 3],
        [6, 5, 10, 9],
    ]
    # clipped like the contour boxes
    corner = np.zeros((6, 8), dtype=bool)
    corner[3:6, 5:8] = True
    corner[0, 0] = True
    assert boxes_from_foreground(corner, 'union').tolist() == [[0, 0, 7, 5]]
    single = np.zeros((5, 5), dtype=bool)
    single[2, 3] = True
    assert boxes_from_foreground(single, 'union').tolist() == [[3, 2, 4, 3]]
    assert boxes_from_foreground(np.zeros((5, 5), bool), 'union').tolist() == [
        [0, 0, 0, 0]
    ]
    # a ring: the union box is the outer contour's box
    ring = np.zeros((9, 9), dtype=bool)
    ring[1:8, 1:8] = True
    ring[3:6, 3:6] = False
    assert boxes_from_foreground(ring, 'union').tolist() == [[1, 1, 8, 8]]


def test_union_mode_over_thresholds():
    u8 = np.zeros((12, 14), dtype=np.uint8)
    u8[1:3, 1:3] = 100  # rows 1..2, cols 1..2
    u8[6:10, 8:12] = 200  # rows 6..9, cols 8..11
    thresholds = [0.0, 0.49, 0.5, 0.9, 0.999]
    # max 200: levels 0, 98, 100, 180, 199 -> both, both, big, big, big
    boxes = boxes_at_thresholds(exact_map(u8), thresholds, 'union')
    both, big = [[1, 1, 12, 10]], [[8, 6, 12, 10]]
    assert [b.tolist() for b in boxes] == [both, both, big, big, big]
    gt = np.array([[1, 1, 12, 10]])
    assert box_correctness(
        exact_map(u8), gt, thresholds, (50,), 'union'
    ).tolist() == [[True, True, False, False, False]]
    # 'all' never boxes both blobs at once
    assert not box_correctness(
        exact_map(u8), gt, thresholds, (50,), 'all'
    ).any()


def test_boxes_at_thresholds_two_levels():
    u8 = np.zeros((8, 10), dtype=np.uint8)
    u8[1:7, 1:9] = 100  # rows 1..6, cols 1..8
    u8[3:5, 4:6] = 200  # rows 3..4, cols 4..5
    thresholds = [0.0, 0.49, 0.5, 0.9]
    # max 200: levels 0, 98, 100, 180 -> big, big, small, small
    boxes = boxes_at_thresholds(exact_map(u8), thresholds)
    big, small = [[1, 1, 9, 7]], [[4, 3, 6, 5]]
    assert [b.tolist() for b in boxes] == [big, big, small, small]


def test_constant_and_zero_maps():
    thresholds = cam_thresholds(0.1)
    # 0.01 * 255 = 2.55 -> 2: every level int(t * 2) < 2 keeps all pixels
    for value in (0.5, 1.0, 0.01):
        boxes = boxes_at_thresholds(np.full((7, 9), value), thresholds)
        # every pixel is foreground: rect (0, 0, 9, 7), clipped
        assert all(b.tolist() == [[0, 0, 8, 6]] for b in boxes)
    # 0.003 * 255 < 1: the uint8 map is all zero; NaN is read as 0
    for scoremap in (
        np.zeros((7, 9)),
        np.full((7, 9), 0.003),
        np.full((7, 9), np.nan),
    ):
        boxes = boxes_at_thresholds(scoremap, thresholds)
        assert all(b.tolist() == [[0, 0, 0, 0]] for b in boxes)


def test_invalid_mode():
    with pytest.raises(ValueError, match='box mode'):
        boxes_from_foreground(np.zeros((3, 3), bool), 'biggest')


# ----------------------------------------------------- fixed thresholds
def test_fixed_threshold_max_vs_percentile():
    u8 = np.array([[0, 10, 20, 30, 40], [50, 60, 70, 80, 90]], np.uint8)
    scoremap = exact_map(u8)
    # max standard: level int(0.6 * 90) = 54 -> values 60..90
    assert fixed_threshold_level(u8, 0.6, 'max') == 54
    assert fixed_threshold_boxes(scoremap, 0.6, 'max').tolist() == [
        [1, 1, 4, 1]
    ]
    # 90th percentile (linear): position 0.9 * 9 = 8.1 -> 80 + 0.1 * 10 = 81
    # level int(0.6 * 81) = int(48.6) = 48 -> values 50..90
    assert fixed_threshold_level(u8, 0.6, 'percentile', 90) == 48
    assert fixed_threshold_boxes(scoremap, 0.6, 'percentile', 90).tolist() == [
        [0, 1, 4, 1]
    ]
    # 95th percentile: position 8.55 -> 80 + 0.55 * 10 = 85.5 (linear
    # interpolation; 'nearest' would give 90, 'lower' 80)
    assert fixed_threshold_level(u8, 0.5, 'percentile', 95) == 42
    assert fixed_threshold_level(u8, 1.0, 'percentile', 95) == 85
    # the 100th percentile is the max standard
    assert fixed_threshold_level(u8, 0.6, 'percentile', 100) == 54
    with pytest.raises(ValueError, match='standard'):
        fixed_threshold_level(u8, 0.6, 'mean')


def test_fixed_threshold_iou():
    u8 = np.zeros((10, 10), np.uint8)
    u8[2:6, 2:6] = 255  # box [2, 2, 6, 6], 5 x 5 pixels with +1
    gt = np.array([[2, 2, 6, 6], [0, 0, 1, 1]])
    assert fixed_threshold_iou(exact_map(u8), gt, 0.2) == 1.0
    # an empty map gives [0, 0, 0, 0]: IoU with [0, 0, 1, 1] is 1 / 4
    assert fixed_threshold_iou(np.zeros((10, 10)), gt, 0.2) == 0.25


# -------------------------------------------------------------------- IoU
@pytest.mark.parametrize(
    'box_a, box_b, expected',
    [
        ([0, 0, 9, 9], [0, 0, 9, 9], 1.0),
        ([0, 0, 9, 9], [5, 5, 14, 14], 25 / 175),
        ([0, 0, 9, 9], [10, 10, 12, 12], 0.0),
        ([0, 0, 9, 9], [9, 9, 12, 12], 1 / (100 + 16 - 1)),
        ([2, 3, 4, 7], [3, 0, 8, 5], 6 / (15 + 36 - 6)),
        # the "no contour" box is the one-pixel box at (0, 0)
        ([0, 0, 0, 0], [0, 0, 0, 0], 1.0),
        ([0, 0, 0, 0], [0, 0, 1, 1], 1 / 4),
        ([0, 0, 0, 0], [2, 2, 5, 5], 0.0),
        # zero-area box (x1 = x0 - 1) against itself: union 0 -> 0
        ([3, 3, 2, 2], [3, 3, 2, 2], 0.0),
        # inverted box with negative area: union -4 -> 0
        ([5, 0, 2, 0], [5, 0, 2, 0], 0.0),
    ],
)
def test_box_iou_hand_computed(box_a, box_b, expected):
    iou = box_iou(np.array([box_a]), np.array([box_b]))
    assert iou.shape == (1, 1)
    assert iou[0, 0] == expected
    assert ref_iou(box_a, box_b) == expected


def test_box_iou_matrix_matches_reference():
    rng = np.random.default_rng(3)
    boxes_a = np.array(random_gt_boxes(rng, 50, 60, 7))
    boxes_b = np.array(random_gt_boxes(rng, 50, 60, 5))
    ious = box_iou(boxes_a, boxes_b)
    assert ious.shape == (7, 5)
    for i in range(7):
        for j in range(5):
            assert ious[i, j] == ref_iou(boxes_a[i], boxes_b[j])


box_strategy = st.tuples(
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 40),
).map(
    lambda v: [
        min(v[0], v[2]),
        min(v[1], v[3]),
        max(v[0], v[2]),
        max(v[1], v[3]),
    ]
)


@settings(max_examples=200, deadline=None)
@given(box_strategy, box_strategy)
def test_box_iou_properties(box_a, box_b):
    ab = box_iou(np.array([box_a]), np.array([box_b]))[0, 0]
    ba = box_iou(np.array([box_b]), np.array([box_a]))[0, 0]
    assert ab == ba == ref_iou(box_a, box_b)
    assert 0.0 <= ab <= 1.0
    assert box_iou(np.array([box_a]), np.array([box_a]))[0, 0] == 1.0


# ---------------------------------------------------------------- rescale
def test_rescale_hand_computed():
    # image w = 500, h = 375 -> 224 x 224
    boxes = rescale_boxes(
        np.array([[10, 20, 300, 400]]), (375, 500), (224, 224)
    )
    # int(4.48), int(11.946..), int(134.4), int(238.93..)
    assert boxes.tolist() == [[4, 11, 134, 238]]
    # non-square map: (H, W) = (100, 50), image (h, w) = (200, 400)
    boxes = rescale_boxes(
        np.array([[399, 199, 399, 199]]), (200, 400), (100, 50)
    )
    # int(399 * 50 / 400) = int(49.875), int(199 * 100 / 200) = int(99.5)
    assert boxes.tolist() == [[49, 99, 49, 99]]


def test_rescale_matches_reference():
    rng = np.random.default_rng(5)
    for ori_h, ori_w, new_h, new_w in [
        (375, 500, 224, 224),
        (333, 499, 224, 224),
        (97, 61, 40, 56),
    ]:
        boxes = random_gt_boxes(rng, ori_h, ori_w, 20)
        expected = [ref_rescale(b, ori_h, ori_w, new_h, new_w) for b in boxes]
        got = rescale_boxes(
            np.array(boxes, np.float32), (ori_h, ori_w), (new_h, new_w)
        )
        assert got.tolist() == expected


# ------------------------------------------- against the slow reference
SIZES = [(224, 224), (37, 53), (64, 32)]


@pytest.mark.parametrize('height, width', SIZES)
@pytest.mark.parametrize('mode', ['all', 'largest', 'union'])
def test_boxes_match_reference(height, width, mode):
    rng = np.random.default_rng(height * 1000 + width)
    thresholds = ref_thresholds(0.01)
    for scoremap in random_maps(rng, height, width):
        got = boxes_at_thresholds(scoremap, thresholds, mode)
        assert len(got) == len(thresholds)
        for t, boxes in zip(thresholds, got):
            # the same boxes; within a threshold OpenCV's contour order is
            # not reproduced in mode 'all'
            assert sorted(boxes.tolist()) == sorted(
                ref_boxes(scoremap, t, mode)
            )


@pytest.mark.parametrize('height, width', SIZES)
@pytest.mark.parametrize('mode', ['all', 'largest', 'union'])
def test_correctness_matches_reference(height, width, mode):
    rng = np.random.default_rng(height * 7 + width)
    thresholds = ref_thresholds(0.01)
    iou_thresholds = (30, 50, 70)
    for scoremap in random_maps(rng, height, width):
        ori_h, ori_w = (
            rng.integers(height // 2 + 1, 3 * height),
            rng.integers(width // 2 + 1, 3 * width),
        )
        ori_boxes = random_gt_boxes(rng, ori_h, ori_w, rng.integers(1, 4))
        gt = [ref_rescale(b, ori_h, ori_w, height, width) for b in ori_boxes]
        expected = ref_correctness(
            scoremap, gt, thresholds, iou_thresholds, mode
        )
        got = box_correctness(
            scoremap,
            rescale_boxes(
                np.array(ori_boxes), (ori_h, ori_w), (height, width)
            ),
            thresholds,
            iou_thresholds,
            mode,
        )
        assert got.dtype == bool
        assert got.shape == (3, len(thresholds))
        assert np.array_equal(got, expected)


def test_correctness_with_boxes_near_the_maps_objects():
    """GT boxes drawn from the map's own boxes, so that many are correct."""
    rng = np.random.default_rng(11)
    thresholds = ref_thresholds(0.01)
    n_correct = 0
    for scoremap in random_maps(rng, 60, 80):
        t = rng.choice(thresholds)
        gt = [list(b) for b in ref_boxes(scoremap, t, 'all')][:3]
        gt = [[max(0, b[0] - 1), b[1], b[2] + 2, b[3]] for b in gt]
        for mode in ('all', 'largest'):
            expected = ref_correctness(
                scoremap, gt, thresholds, (30, 50, 70), mode
            )
            got = box_correctness(
                scoremap, np.array(gt), thresholds, (30, 50, 70), mode
            )
            assert np.array_equal(got, expected)
            n_correct += int(got.sum())
    assert n_correct > 0


def test_hole_contours_change_v2_result():
    """A GT box on the hole of a ring is found by V2 only."""
    u8 = np.zeros((9, 9), np.uint8)
    u8[1:8, 1:8] = 255
    u8[3:6, 3:6] = 0
    gt = np.array([[2, 2, 7, 7]])  # the hole contour's box
    thresholds = [0.5]
    assert box_correctness(
        exact_map(u8), gt, thresholds, (70,), 'all'
    ).tolist() == [[True]]
    # V1 keeps the outer box [1, 1, 8, 8]: IoU 36 / 64 < 0.7
    assert box_correctness(
        exact_map(u8), gt, thresholds, (70,), 'largest'
    ).tolist() == [[False]]


def count_contour_calls(monkeypatch):
    calls = []
    original = cv2.findContours

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(cv2, 'findContours', counting)
    return calls


@pytest.mark.parametrize(
    'backend',
    [
        'auto',
        'opencv',
        pytest.param(
            'compiled',
            marks=pytest.mark.skipif(
                not has_compiled_sweep(), reason='compiled sweep not built'
            ),
        ),
    ],
)
def test_backends_equal_the_literal_loop(monkeypatch, backend):
    """Each backend equals the loop without dedupe; OpenCV traces each
    distinct level once, the compiled sweeps never trace a contour."""
    rng = np.random.default_rng(2)
    scoremap = rng.random((30, 40)) * 0.2  # max 0.2 -> u8 max <= 51
    thresholds = ref_thresholds(0.01)
    u8 = scoremap_to_uint8(scoremap)
    levels = [int(t * int(u8.max())) for t in thresholds]
    assert len(set(levels)) < len(thresholds)
    gt = np.array([[3, 4, 20, 25]])
    calls = count_contour_calls(monkeypatch)
    got = box_correctness(
        scoremap, gt, thresholds, (30, 50, 70), 'all', backend
    )
    # 'auto' traces contours unless the compiled sweeps are installed
    traces = backend == 'opencv' or (
        backend == 'auto' and not has_compiled_sweep()
    )
    assert len(calls) == (len(set(levels)) if traces else 0)
    monkeypatch.undo()
    # no dedupe: one binarisation per threshold
    slow = np.zeros_like(got)
    for j, level in enumerate(levels):
        boxes = ref_boxes_at_level(u8, level, 'all')
        best = max(ref_iou(b, gt[0]) for b in boxes)
        slow[:, j] = [best >= 0.3, best >= 0.5, best >= 0.7]
    assert np.array_equal(got, slow)
    curve = best_iou_curve(scoremap, gt, thresholds, 'all', backend)
    assert curve.shape == (len(thresholds),)


def test_auto_backend_traces_no_contour_when_compiled(monkeypatch):
    """With the compiled sweeps installed, 'auto' traces no contour in
    modes 'all' and 'largest'; mode 'union' never traces one (its boxes
    come from the row and column maxima)."""
    rng = np.random.default_rng(3)
    scoremap = rng.random((20, 30))
    thresholds = ref_thresholds(0.001)
    calls = count_contour_calls(monkeypatch)
    gt = np.array([[1, 2, 15, 12]])
    modes = ('all', 'largest', 'union') if has_compiled_sweep() else ('union',)
    got = {
        mode: best_iou_curve(scoremap, gt, thresholds, mode) for mode in modes
    }
    assert calls == []
    monkeypatch.undo()
    u8 = scoremap_to_uint8(scoremap)
    for mode, curve in got.items():
        expected = [
            max(
                ref_iou(b, gt[0])
                for b in ref_boxes_at_level(u8, int(t * int(u8.max())), mode)
            )
            for t in thresholds
        ]
        assert curve.tolist() == expected
    with pytest.raises(ValueError, match='backend'):
        best_iou_curve(scoremap, gt, thresholds, 'all', 'gpu')
    with pytest.raises(ValueError, match='backend'):
        best_iou_curve(scoremap, gt, thresholds, 'all', 'tree')


@pytest.mark.parametrize(
    'mode, compiled, expected',
    [
        ('all', True, 'compiled'),
        ('largest', True, 'compiled'),
        ('union', True, 'opencv'),
        ('all', False, 'opencv'),
        ('largest', False, 'opencv'),
        ('union', False, 'opencv'),
    ],
)
def test_resolve_box_backend_rule(mode, compiled, expected):
    assert resolve_box_backend('auto', mode, compiled) == expected
    # explicit backends pass through
    assert resolve_box_backend('opencv', mode, compiled) == 'opencv'


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 12), st.integers(1, 12)),
        elements=st.integers(0, 255),
    ),
    st.lists(st.floats(0, 0.999), min_size=1, max_size=6),
    st.sampled_from(['all', 'largest', 'union']),
    st.data(),
)
def test_random_small_maps_match_reference(u8, thresholds, mode, data):
    height, width = u8.shape
    scoremap = exact_map(u8)
    assert np.array_equal(scoremap_to_uint8(scoremap), u8)
    got = boxes_at_thresholds(scoremap, thresholds, mode)
    for t, boxes in zip(thresholds, got):
        assert sorted(boxes.tolist()) == sorted(ref_boxes(scoremap, t, mode))
    x0 = data.draw(st.integers(0, width - 1))
    y0 = data.draw(st.integers(0, height - 1))
    gt = [
        [
            x0,
            y0,
            data.draw(st.integers(x0, width)),
            data.draw(st.integers(y0, height)),
        ]
    ]
    assert np.array_equal(
        box_correctness(
            scoremap, np.array(gt), thresholds, (30, 50, 70), mode
        ),
        ref_correctness(scoremap, gt, thresholds, (30, 50, 70), mode),
    )


def test_box_correctness_needs_gt_boxes():
    with pytest.raises(ValueError, match='GT box'):
        box_correctness(np.zeros((4, 4)), np.zeros((0, 4)), [0.5])


# ------------------------------------------------------------ aggregation
def test_max_box_accuracy_hand_computed():
    thresholds = np.array([0.0, 0.25, 0.5, 0.75])
    correct = np.array(
        [
            [[1, 1, 0, 0], [1, 0, 0, 0]],
            [[0, 1, 1, 0], [0, 1, 1, 0]],
            [[0, 1, 1, 1], [0, 0, 1, 0]],
            [[0, 0, 0, 0], [0, 0, 0, 0]],
        ],
        dtype=bool,
    )
    stats = max_box_accuracy(correct, thresholds)
    assert stats['accuracy'].tolist() == [
        [25.0, 75.0, 50.0, 25.0],
        [25.0, 25.0, 50.0, 0.0],
    ]
    assert stats['max_accuracy'].tolist() == [75.0, 50.0]
    assert stats['best_index'].tolist() == [1, 2]
    assert stats['best_threshold'].tolist() == [0.25, 0.5]
    # ties pick the smallest threshold
    tie = max_box_accuracy(np.ones((2, 1, 4), bool), thresholds)
    assert tie['best_index'].tolist() == [0]
