"""Every box backend gives one answer, whatever the GT boxes and map size.

``best_iou_curve`` / ``box_correctness`` dispatch to the compiled sweeps,
or OpenCV per level (``backend='auto'`` picks one
by what is installed). A public function's answer must not depend on that
choice: GT boxes are read as float64 once, before dispatch, and every
backend computes the IoU of the boxes as given (exact for the integer boxes
of the protocol). Maps larger than the compiled sweeps' limit fall back to
OpenCV under ``'auto'``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from wsol_eval_reference import exact_map, ref_boxes_at_level

from mmwsol.evaluation.functional import (
    best_iou_curve,
    box_correctness,
    fixed_threshold_iou,
    level_best_ious,
    resolve_box_backend,
    scoremap_to_uint8,
)
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

BACKENDS = ('auto', 'opencv') + (('compiled',) if has_compiled_sweep() else ())
#: the compiled sweeps' limit on each side of a map
MAX_SIDE = 32767


def float_iou(box, gt):
    """IoU of a predicted box with a GT box as given (plain Python floats),
    the inclusive +1 pixel convention of the protocol's
    ``calculate_multiple_iou``."""
    ax0, ay0, ax1, ay1 = (float(v) for v in box)
    bx0, by0, bx1, by1 = (float(v) for v in gt)
    inter_w = max(0.0, min(ax1, bx1) - max(ax0, bx0) + 1)
    inter_h = max(0.0, min(ay1, by1) - max(ay0, by0) + 1)
    inter = inter_w * inter_h
    area_a = (ax1 - ax0 + 1) * (ay1 - ay0 + 1)
    area_b = (bx1 - bx0 + 1) * (by1 - by0 + 1)
    union = area_a + area_b - inter
    return 0.0 if union <= 0 else inter / union


def reference_curve(scoremap, gt_boxes, thresholds, mode):
    """One OpenCV tracing per threshold, float IoUs in plain Python."""
    u8 = (np.asarray(scoremap, dtype=np.float64) * 255).astype(np.uint8)
    curve = []
    for t in thresholds:
        level = int(t * int(u8.max()))
        boxes = ref_boxes_at_level(u8, level, mode)
        curve.append(
            max(float_iou(b, g) for b in boxes for g in gt_boxes.tolist())
        )
    return curve


def backends_for(mode):
    # the compiled sweeps serve modes 'all' and 'largest'
    return [b for b in BACKENDS if b != 'compiled' or mode != 'union']


def test_issue_case_40x40_float_boxes_agree_on_all_300_cells():
    """The issue's measurement: 56 of 300 cells differed under 'auto'."""
    rng = np.random.default_rng(0)
    scoremap = rng.random((40, 40))
    gt = np.array([[3.7, 5.2, 20.9, 30.5], [10.5, 0.25, 39.0, 12.75]])
    thresholds = np.arange(0, 1, 0.01)
    expected = reference_curve(scoremap, gt, thresholds, 'all')
    tables = {}
    for backend in BACKENDS:
        assert (
            best_iou_curve(scoremap, gt, thresholds, 'all', backend).tolist()
            == expected
        ), backend
        tables[backend] = box_correctness(
            scoremap, gt, thresholds, (30, 50, 70), 'all', backend
        )
    for backend, table in tables.items():
        assert table.shape == (3, 100)
        assert np.array_equal(table, tables['opencv']), backend


float_coordinate = st.one_of(
    st.floats(-3, 17, allow_nan=False, allow_infinity=False),
    st.integers(-3, 17).map(float),
    st.integers(-6, 34).map(lambda v: v / 2),
)


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 14), st.integers(1, 14)),
        elements=st.one_of(
            st.sampled_from([0, 0, 60, 130, 255]), st.integers(0, 255)
        ),
    ),
    st.lists(st.tuples(*[float_coordinate] * 4), min_size=1, max_size=3),
    st.lists(st.floats(0, 0.999), min_size=1, max_size=8),
    st.sampled_from(['all', 'largest', 'union']),
)
def test_float_gt_boxes_give_one_answer_on_every_backend(
    u8, gt, thresholds, mode
):
    """Float GT boxes (inverted ones included): every backend equals the
    float reference, curve and correctness table alike."""
    scoremap = exact_map(u8)
    gt = np.array(gt, dtype=np.float64)
    expected = reference_curve(scoremap, gt, thresholds, mode)
    table = np.array(expected)[None, :] >= np.array([0.3, 0.5, 0.7])[:, None]
    for backend in backends_for(mode):
        curve = best_iou_curve(scoremap, gt, thresholds, mode, backend)
        assert curve.tolist() == expected, backend
        assert np.array_equal(
            box_correctness(
                scoremap, gt, thresholds, (30, 50, 70), mode, backend
            ),
            table,
        ), backend


@pytest.mark.parametrize('mode', ['all', 'largest'])
def test_level_best_ious_float_boxes_compiled_equals_opencv(mode):
    if not has_compiled_sweep():
        pytest.skip('compiled sweep not built')
    rng = np.random.default_rng(5)
    u8 = scoremap_to_uint8(rng.random((30, 35)))
    gt = rng.uniform(-2, 36, size=(4, 4))
    levels = np.arange(0, 256, 3)
    compiled = level_best_ious(u8, gt, levels, mode, 'compiled')
    opencv = level_best_ious(u8, gt, levels, mode, 'opencv')
    assert compiled.tolist() == opencv.tolist()


def test_fixed_threshold_iou_reads_float_boxes_as_given():
    scoremap = np.zeros((10, 10))
    scoremap[2:6, 2:6] = 1.0  # one box [2, 2, 6, 6] (x + w clipped)
    gt = np.array([[2.5, 2.5, 6.0, 6.0]])
    assert fixed_threshold_iou(scoremap, gt, 0.5, mode='largest') == float_iou(
        [2, 2, 6, 6], gt[0]
    )


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_non_finite_gt_boxes_are_an_error(bad):
    gt = np.array([[0.0, 0.0, bad, 3.0]])
    with pytest.raises(ValueError, match='finite'):
        best_iou_curve(np.ones((4, 4)), gt, [0.5])
    with pytest.raises(ValueError, match='finite'):
        level_best_ious(np.ones((4, 4), np.uint8), gt, [0])


# ------------------------------------------------------------- map sizes
@pytest.mark.parametrize('shape', [(1, MAX_SIDE + 1), (MAX_SIDE + 5, 2)])
@pytest.mark.parametrize('mode', ['all', 'largest'])
def test_maps_beyond_the_compiled_limit_fall_back_under_auto(shape, mode):
    rng = np.random.default_rng(1)
    scoremap = np.zeros(shape)
    # a few objects along the long side
    flat = scoremap.reshape(-1)
    for start in rng.integers(0, flat.size - 200, size=5):
        flat[start : start + 150] = rng.uniform(0.3, 1.0)
    scoremap = flat.reshape(shape)
    gt = np.array([[0, 0, shape[1] - 1, shape[0] - 1], [2, 0, 900, 0]])
    thresholds = [0.0, 0.4, 0.7, 0.95]
    got = best_iou_curve(scoremap, gt, thresholds, mode, 'auto')
    assert (
        got.tolist()
        == best_iou_curve(scoremap, gt, thresholds, mode, 'opencv').tolist()
    )
    assert got.tolist() == reference_curve(scoremap, gt, thresholds, mode)
    if has_compiled_sweep():
        with pytest.raises(ValueError, match='32767'):
            best_iou_curve(scoremap, gt, thresholds, mode, 'compiled')
        with pytest.raises(ValueError, match='32767'):
            level_best_ious(
                scoremap_to_uint8(scoremap), gt, [0], mode, 'compiled'
            )


@pytest.mark.parametrize(
    'shape, expected',
    [
        ((224, 224), 'compiled'),
        ((MAX_SIDE, MAX_SIDE), 'compiled'),
        ((1, MAX_SIDE + 1), 'opencv'),
        ((MAX_SIDE + 1, 3), 'opencv'),
    ],
)
def test_resolve_box_backend_respects_the_compiled_size_limit(shape, expected):
    assert resolve_box_backend('auto', 'all', True, shape) == expected
    assert resolve_box_backend('compiled', 'all', True, shape) == 'compiled'
