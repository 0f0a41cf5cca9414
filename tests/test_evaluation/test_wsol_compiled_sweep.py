"""The compiled sweeps (box modes 'all', 'largest') equal OpenCV.

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
from wsol_eval_reference import (
    gaussian_blobs,
    normalise,
    random_gt_boxes,
    random_maps,
    ref_boxes_at_level,
    ref_iou,
    rings,
    upsampled_noise,
)

from mmwsol.evaluation.functional import level_best_ious, scoremap_to_uint8
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

REQUIRED = os.environ.get('MMWSOL_REQUIRE_COMPILED', '') == '1'
needs_compiled = pytest.mark.skipif(
    not has_compiled_sweep() and not REQUIRED,
    reason='compiled sweep not built (no C compiler at install time)',
)
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
        st.integers(0, 13),
        st.integers(0, 13),
        st.integers(0, 13),
        st.integers(0, 13),
    ),
    min_size=1,
    max_size=3,
)


@needs_compiled
@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.uint8,
        st.tuples(st.integers(1, 14), st.integers(1, 14)),
        elements=st.one_of(
            st.sampled_from([0, 0, 40, 90, 200, 255]), st.integers(0, 255)
        ),
    ),
    gt_strategy,
    st.sampled_from(MODES),
)
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
        elements=st.sampled_from([0, 1, 2]),
    ),
    st.sampled_from(MODES),
)
def test_dense_three_level_maps_equal_opencv(u8, mode):
    """Many nested components and holes; compiled == OpenCV."""
    u8 = u8 * 100
    gt = np.array([[0, 0, 3, 3], [2, 1, 9, 6], [5, 5, 5, 5]])
    levels = np.arange(0, 256, 5)
    compiled = level_best_ious(u8, gt, levels, mode, 'compiled')
    opencv = level_best_ious(u8, gt, levels, mode, 'opencv')
    assert (
        compiled.tolist() == opencv.tolist() == reference(u8, gt, levels, mode)
    )


@needs_compiled
@pytest.mark.parametrize('mode', MODES)
def test_full_size_maps_equal_opencv(mode):
    rng = np.random.default_rng(7)
    maps = random_maps(rng, 224, 224)[:4] + [
        gaussian_blobs(rng, 224, 224, 5),
        rings(rng, 224, 224, 4),
        normalise(
            np.clip(
                upsampled_noise(rng, 224, 224)
                + 0.05 * rng.standard_normal((224, 224)),
                0,
                None,
            )
        ),
    ]
    for scoremap in maps:
        u8 = scoremap_to_uint8(scoremap)
        gt = np.array(random_gt_boxes(rng, 224, 224, 3))
        compiled = level_best_ious(u8, gt, ALL_LEVELS, mode, 'compiled')
        opencv = level_best_ious(u8, gt, ALL_LEVELS, mode, 'opencv')
        assert np.array_equal(compiled, opencv)
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
    level_best_ious(
        big, np.array([[0, 0, 100, 100]]), ALL_LEVELS, 'all', 'compiled'
    )
    again = level_best_ious(small, gt, ALL_LEVELS, 'all', 'compiled')
    assert first.tolist() == again.tolist() == reference(small, gt, ALL_LEVELS)


def test_implementation_argument_is_checked():
    u8 = np.zeros((4, 4), np.uint8)
    gt = np.array([[0, 0, 1, 1]])
    with pytest.raises(ValueError, match='implementation'):
        level_best_ious(u8, gt, [0], 'all', 'fortran')
    with pytest.raises(ValueError, match='compiled sweeps serve'):
        level_best_ious(u8, gt, [0], 'union', 'compiled')
    with pytest.raises(ValueError, match='GT box'):
        level_best_ious(u8, np.zeros((0, 4)), [0], 'all', 'opencv')


# ----------------------------------------------- the extension's own guards
# The extension is called directly here: the Python wrapper filters and
# converts its inputs, the guards must hold without it.
SWEEPS = ('best_ious_all', 'best_ious_largest')


def sweep_function(name):
    from mmwsol.evaluation.functional import _level_sets

    return getattr(_level_sets, name)


def good_args():
    u8 = np.zeros((6, 7), np.uint8)
    u8[2, 3] = 10
    return dict(
        u8=u8,
        levels=np.array([0, 5], np.int64),
        gt=np.array([[1.0, 1.0, 4.0, 4.0]]),
        out=np.empty(2),
    )


def call(name, u8, levels, gt, out):
    sweep_function(name)(u8, levels, gt, out)
    return out


@needs_compiled
@pytest.mark.parametrize('name', SWEEPS)
def test_extension_levels_at_or_above_the_maximum_are_empty(name):
    """No foreground pixel at a level: the protocol's box [0, 0, 0, 0]
    (never a value left from an earlier call)."""
    mode = 'all' if name == 'best_ious_all' else 'largest'
    # an earlier call leaves a component covering the whole map
    full = np.full((6, 6), 200, np.uint8)
    call(
        name,
        full,
        np.array([0], np.int64),
        np.array([[0.0, 0.0, 5.0, 5.0]]),
        np.empty(1),
    )
    u8 = np.zeros((6, 6), np.uint8)
    u8[2, 2] = 10
    gt = np.array([[3.0, 3.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0]])
    levels = np.array([5, 10, 11, 254], np.int64)  # max 10: three empty
    got = call(name, u8, levels, gt, np.full(4, -7.0))
    expected = reference(u8, gt.astype(np.int64), levels, mode)
    # [0, 0, 0, 0] against [0, 0, 2, 2]: one pixel of nine
    assert expected[1:] == [1 / 9] * 3
    assert got.tolist() == expected
    # an empty map: every level is empty
    got = call(
        name,
        np.zeros((3, 4), np.uint8),
        np.array([0, 7], np.int64),
        np.array([[0.0, 0.0, 0.0, 0.0]]),
        np.empty(2),
    )
    assert got.tolist() == [1.0, 1.0]


@needs_compiled
@pytest.mark.parametrize('name', SWEEPS)
@pytest.mark.parametrize(
    'field, value, error, match',
    [
        ('u8', np.zeros((6, 7), np.int16), TypeError, 'uint8'),
        ('u8', np.zeros((6, 7)), TypeError, 'uint8'),
        ('levels', np.array([0, 5], np.int32), TypeError, 'int64'),
        ('levels', np.array([0.0, 5.0]), TypeError, 'int64'),
        ('gt', np.array([[1, 1, 4, 4]], np.int64), TypeError, 'float64'),
        ('gt', np.array([[1, 1, 4, 4]], np.float32), TypeError, 'float64'),
        ('out', np.empty(2, np.float32), TypeError, 'float64'),
        ('out', b'0123456789abcdef', TypeError, 'out'),
        ('u8', np.zeros(42, np.uint8), ValueError, '2-D'),
        ('u8', np.zeros((6, 14), np.uint8)[:, ::2], ValueError, 'contiguous'),
        ('levels', np.array([[0, 5]], np.int64), ValueError, '1-D'),
        (
            'levels',
            np.array([0, 0, 5, 5], np.int64)[::2],
            ValueError,
            'contiguous',
        ),
        ('levels', np.array([5, 0], np.int64), ValueError, 'increasing'),
        ('levels', np.array([0, 255], np.int64), ValueError, '254'),
        ('gt', np.array([1.0, 1.0, 4.0, 4.0]), ValueError, r'\(G, 4\)'),
        ('gt', np.zeros((0, 4)), ValueError, 'GT box'),
        (
            'gt',
            np.array([[1.0, 1.0, 4.0, 4.0, 1.0, 1.0, 4.0, 4.0]]),
            ValueError,
            r'\(G, 4\)',
        ),
        ('out', np.empty(3), ValueError, 'out'),
        ('out', np.empty((2, 1)), ValueError, 'out'),
    ],
)
def test_extension_checks_its_buffers(name, field, value, error, match):
    args = good_args()
    call(name, **args)  # the good arguments work
    args[field] = value
    with pytest.raises(error, match=match):
        call(name, **args)


@needs_compiled
@pytest.mark.parametrize('name', SWEEPS)
def test_extension_refuses_a_read_only_output(name):
    args = good_args()
    args['out'].flags.writeable = False
    with pytest.raises((TypeError, ValueError), match='out'):
        call(name, **args)


@needs_compiled
@pytest.mark.parametrize('name', SWEEPS)
@pytest.mark.parametrize('shape', [(1, 32768), (32768, 1), (2, 40000)])
def test_extension_refuses_maps_beyond_its_limit(name, shape):
    u8 = np.zeros(shape, np.uint8)
    u8[0, 0] = 1
    with pytest.raises(ValueError, match='32767'):
        call(
            name,
            u8,
            np.array([0], np.int64),
            np.array([[0.0, 0.0, 1.0, 1.0]]),
            np.empty(1),
        )
    # the largest map it takes along one side
    side = (1, 32767) if shape[0] == 1 or shape[0] == 2 else (32767, 1)
    u8 = np.zeros(side, np.uint8)
    u8[0, 0] = 1
    got = call(
        name,
        u8,
        np.array([0], np.int64),
        np.array([[0.0, 0.0, 1.0, 1.0]]),
        np.empty(1),
    )
    assert got.tolist() == [0.5]  # box [0, 0, 1, 0] or [0, 0, 0, 1]
