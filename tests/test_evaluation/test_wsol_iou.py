"""IoU and box rescaling (mmwsol.evaluation.functional.iou) against hand
computations and the reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsol_eval_reference import (
    random_gt_boxes,
    ref_iou,
    ref_rescale,
)

from mmwsol.evaluation.functional import (
    box_iou,
    rescale_boxes,
)


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
