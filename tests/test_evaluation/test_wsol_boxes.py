"""Boxes of score maps (mmwsol.evaluation.functional.boxes): thresholds,
hand-made maps, fixed thresholds and the slow reference."""

import numpy as np
import pytest
from wsol_eval_reference import (
    exact_map,
    random_maps,
    ref_boxes,
    ref_thresholds,
)

from mmwsol.evaluation.functional import (
    box_correctness,
    boxes_at_thresholds,
    boxes_from_foreground,
    cam_thresholds,
    fixed_threshold_boxes,
    fixed_threshold_iou,
    fixed_threshold_level,
    scoremap_to_uint8,
    threshold_levels,
)


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
