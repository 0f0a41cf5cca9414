"""The compiled sweeps (box modes 'all', 'largest') equal OpenCV and numpy.

``level_best_ious(..., implementation='compiled')`` runs a C union-find
(mmwsol/evaluation/functional/_level_sets.c). It is optional at install
time; CI sets ``MMWSOL_REQUIRE_COMPILED=1`` so that a missing build fails
instead of skipping.
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from wsol_eval_reference import (gaussian_blobs, normalise, random_gt_boxes,
                                 random_maps, ref_boxes_at_level, ref_iou,
                                 rings, upsampled_noise)

from mmwsol.evaluation.functional import level_best_ious, scoremap_to_uint8
from mmwsol.evaluation.functional.component_tree import has_compiled_sweep

REQUIRED = os.environ.get('MMWSOL_REQUIRE_COMPILED', '') == '1'
needs_compiled = pytest.mark.skipif(
    not has_compiled_sweep() and not REQUIRED,
    reason='compiled sweep not built (no C compiler at install time)')
ALL_LEVELS = np.arange(256)


MODES = ('all', 'largest')


def reference(u8, gt, levels, mode='all'):
    """One OpenCV contour tracing per level, IoUs in plain Python."""
    out = []
    for level in levels:
        boxes = ref_boxes_at_level(u8, int(level), mode)
        out.append(max(ref_iou(b, g) for b in boxes for g in gt.tolist()))
    return out


def test_compiled_sweep_is_built_when_required():
    if REQUIRED:
        assert has_compiled_sweep()
    else:
        pytest.skip('MMWSOL_REQUIRE_COMPILED is not set')


gt_strategy = st.lists(
    st.tuples(
        st.integers(0, 13), st.integers(0, 13), st.integers(0, 13),
        st.integers(0, 13)),
    min_size=1,
    max_size=3)


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 14), st.integers(1, 14)),
        elements=st.one_of(
            st.sampled_from([0, 0, 40, 90, 200, 255]), st.integers(0, 255))),
    gt_strategy, st.sampled_from(MODES))
def test_random_small_maps_equal_opencv(u8, gt, mode):
    # GT boxes as given, inverted ones included (IoU convention corner case)
    gt = np.array(gt, dtype=np.int64)
    got = level_best_ious(u8, gt, ALL_LEVELS, mode, 'compiled')
    assert got.tolist() == reference(u8, gt, ALL_LEVELS, mode)


@needs_compiled
@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(2, 30), st.integers(2, 30)),
        elements=st.sampled_from([0, 1, 2])), st.sampled_from(MODES))
def test_dense_three_level_maps_equal_numpy_trees(u8, mode):
    """Many nested components and holes; compiled == numpy == OpenCV."""
    u8 = u8 * 100
    gt = np.array([[0, 0, 3, 3], [2, 1, 9, 6], [5, 5, 5, 5]])
    levels = np.arange(0, 256, 5)
    compiled = level_best_ious(u8, gt, levels, mode, 'compiled')
    numpy = level_best_ious(u8, gt, levels, mode, 'numpy')
    assert compiled.tolist() == numpy.tolist() == reference(
        u8, gt, levels, mode)


@needs_compiled
@pytest.mark.parametrize('mode', MODES)
def test_full_size_maps_equal_numpy_and_opencv(mode):
    rng = np.random.default_rng(7)
    maps = random_maps(rng, 224, 224)[:4] + [
        gaussian_blobs(rng, 224, 224, 5),
        rings(rng, 224, 224, 4),
        normalise(
            np.clip(
                upsampled_noise(rng, 224, 224) +
                0.05 * rng.standard_normal((224, 224)), 0, None)),
    ]
    for scoremap in maps:
        u8 = scoremap_to_uint8(scoremap)
        gt = np.array(random_gt_boxes(rng, 224, 224, 3))
        compiled = level_best_ious(u8, gt, ALL_LEVELS, mode, 'compiled')
        numpy = level_best_ious(u8, gt, ALL_LEVELS, mode, 'numpy')
        assert np.array_equal(compiled, numpy)
        # OpenCV on a subset of levels (one tracing each)
        some = ALL_LEVELS[::17]
        assert compiled[some].tolist() == reference(u8, gt, some, mode)


@needs_compiled
@pytest.mark.parametrize('shape', [(1, 1), (1, 9), (9, 1), (3, 300)])
@pytest.mark.parametrize('mode', MODES)
def test_degenerate_shapes(shape, mode):
    rng = np.random.default_rng(sum(shape))
    u8 = rng.integers(0, 256, shape).astype(np.uint8)
    gt = np.array([[0, 0, shape[1] - 1, shape[0] - 1], [0, 0, 0, 0]])
    got = level_best_ious(u8, gt, ALL_LEVELS, mode, 'compiled')
    assert got.tolist() == reference(u8, gt, ALL_LEVELS, mode)


@needs_compiled
def test_repeated_calls_reuse_memory_without_leaking_state():
    """The workspace is reused: a small map after a large one is exact."""
    rng = np.random.default_rng(3)
    big = scoremap_to_uint8(rng.random((224, 224)))
    small = scoremap_to_uint8(rng.random((5, 6)))
    gt = np.array([[1, 1, 3, 4]])
    first = level_best_ious(small, gt, ALL_LEVELS, 'all', 'compiled')
    level_best_ious(big, np.array([[0, 0, 100, 100]]), ALL_LEVELS, 'all',
                    'compiled')
    again = level_best_ious(small, gt, ALL_LEVELS, 'all', 'compiled')
    assert first.tolist() == again.tolist() == reference(small, gt,
                                                         ALL_LEVELS)


def test_implementation_argument_is_checked():
    u8 = np.zeros((4, 4), np.uint8)
    gt = np.array([[0, 0, 1, 1]])
    with pytest.raises(ValueError, match='implementation'):
        level_best_ious(u8, gt, [0], 'all', 'fortran')
    with pytest.raises(ValueError, match='compiled sweeps serve'):
        level_best_ious(u8, gt, [0], 'union', 'compiled')
    with pytest.raises(ValueError, match='GT box'):
        level_best_ious(u8, np.zeros((0, 4)), [0], 'all', 'numpy')
