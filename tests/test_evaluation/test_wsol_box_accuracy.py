"""Box correctness and MaxBoxAcc (mmwsol.evaluation.functional.
box_accuracy) against the slow literal reference, every backend."""

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from wsol_eval_reference import (
    exact_map,
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
    boxes_at_thresholds,
    max_box_accuracy,
    rescale_boxes,
    resolve_box_backend,
    scoremap_to_uint8,
)
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

SIZES = [(224, 224), (37, 53), (64, 32)]


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
