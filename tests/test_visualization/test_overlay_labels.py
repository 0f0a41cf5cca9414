"""Readable overlays: upscaled small images, labels that never overlap."""

from types import SimpleNamespace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mmwsol.apis.visualize import RANK_COLORS, draw_localization
from mmwsol.visualization import draw_cam_overlay
from mmwsol.visualization.labels import (
    place_labels,
    rects_overlap,
    stack_labels,
    text_box_size,
)
from mmwsol.visualization.overlay import PRED_COLOR, scale_boxes


def _pairs_disjoint(rects):
    """Independent pixel check: paint each rect, no pixel twice."""
    h = max(r[3] for r in rects) + 1
    w = max(r[2] for r in rects) + 1
    count = np.zeros((h, w), np.int32)
    for x0, y0, x1, y1 in rects:
        count[y0:y1, x0:x1] += 1
    return count.max() <= 1


def test_rects_overlap_by_hand():
    assert rects_overlap((0, 0, 10, 10), (9, 9, 12, 12))
    assert not rects_overlap((0, 0, 10, 10), (10, 0, 12, 10))  # touching
    assert not rects_overlap((0, 0, 10, 10), (0, 10, 10, 20))


def test_stacked_captions_do_not_intersect():
    sizes = [text_box_size(t, 0.5) for t in ('GT: a', 'pred: bb (0.90)')]
    rects = stack_labels(sizes, (2, 2))
    assert rects[0][:2] == (2, 2)
    assert rects[1][1] == rects[0][3]  # right below
    assert _pairs_disjoint(rects)


@given(
    st.lists(
        st.tuples(
            st.integers(10, 120),  # width
            st.integers(8, 24),  # height
            st.integers(-50, 400),  # anchor x
            st.integers(-50, 400),  # anchor y
        ),
        min_size=1,
        max_size=5,
    )
)
def test_placed_labels_are_inside_and_disjoint(labels):
    """Up to 5 labels (top-5) in a 384 x 384 image: no shared pixel."""
    sizes = [(w, h) for w, h, _, _ in labels]
    anchors = [(x, y) for _, _, x, y in labels]
    rects = place_labels(sizes, anchors, (384, 384))
    for (x0, y0, x1, y1), (w, h) in zip(rects, sizes):
        assert 0 <= x0 and 0 <= y0 and x1 <= 384 and y1 <= 384
        assert (x1 - x0, y1 - y0) == (w, h)
    assert _pairs_disjoint(rects)


def test_same_anchor_labels_are_moved_apart():
    rects = place_labels(
        [(80, 20), (60, 20)], [(30, 40), (30, 40)], (384, 384)
    )
    assert rects[0] == (30, 40, 110, 60)  # the first keeps its spot
    assert not rects_overlap(rects[0], rects[1])


def test_scale_boxes_keeps_covered_pixels():
    # pixel 0..3 of a 4-pixel row, x3: pixels 0..11
    out = scale_boxes(np.array([[0, 1, 3, 2]]), 3.0)
    np.testing.assert_allclose(out, [[0, 3, 11, 8]])


def test_small_overlay_is_upscaled_with_its_boxes():
    image = np.zeros((128, 96, 3), np.uint8)
    cam = np.zeros((128, 96), np.float32)
    out = draw_cam_overlay(
        image, cam, pred_boxes=np.array([[10, 20, 29, 39]]), alpha=0.0
    )
    assert min(out.shape[:2]) >= 384
    assert out.shape[:2] == (512, 384)  # x4, aspect kept
    # the predicted box's left edge at x = 10 * 4 = 40 (thickness 2)
    col = out[80:160, 40]
    assert np.all(col == PRED_COLOR)
    large = draw_cam_overlay(np.zeros((400, 500, 3), np.uint8), cam)
    assert large.shape[:2] == (400, 500)  # large enough: unchanged
    native = draw_cam_overlay(image, cam, min_size=0)
    assert native.shape[:2] == (128, 96)


def _count(img, color):
    return int(np.all(img == np.array(color, np.uint8), axis=2).sum())


def test_top2_label_is_not_hidden_by_top1():
    """Both boxes start at the same corner (the overlapping top-2
    report): the top-2 label keeps its whole background visible."""
    box = np.array([[20, 40, 100, 110]])
    result = SimpleNamespace(
        labels=[0, 1],
        label_scores=[0.70, 0.28],
        class_names=['green_square_long_name', 'yellow'],
        maps=np.zeros((0, 128, 128), np.float32),
        boxes=[box, box],
    )
    out = draw_localization(
        np.zeros((128, 128, 3), np.uint8), result, bgr=False
    )
    assert out.shape[:2] == (384, 384)
    w, h = text_box_size('yellow 0.28', 0.5)
    # the top-2 label's background: its area minus the text pixels
    assert _count(out, RANK_COLORS[1]) > 0.5 * w * h
