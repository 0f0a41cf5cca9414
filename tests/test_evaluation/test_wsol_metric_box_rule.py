"""Tests of WSOLMetric's fixed-threshold numbers: the box rule they
use (largest region by default) and the community's golden curves."""

import json
import os.path as osp

import numpy as np
import pytest
from wsol_metric_utils import THRESHOLDS, evaluate, make_sample, two_level_map

from mmwsol.evaluation import WSOLMetric


# ------------------------------ box rule of the fixed-threshold numbers
def two_blob_map():
    """20 x 20: blob A [1, 1, 3, 3] at 1.0 (9 px), blob B [8, 8, 17, 17]
    at 0.5 (u8 127, 100 px). For t < 0.5 both are foreground (the largest
    contour is B), from t = 0.5 on only A."""
    cam = np.zeros((20, 20))
    cam[1:4, 1:4] = 1.0
    cam[8:18, 8:18] = 0.5
    return cam


def box_rule_samples():
    """S1: two blobs, GT = A, rank 0. S2: the nested two-level map (GT =
    the outer block, correct for t < 0.5 under either rule), rank 1."""
    return [
        make_sample(
            two_blob_map(),
            0,
            [0.7, 0.3],
            [[1, 1, 3, 3]],
            (20, 20),
            img_path='s1.jpg',
        ),
        make_sample(
            two_level_map(),
            0,
            [0.3, 0.7],
            [[4, 4, 24, 24]],
            (32, 32),
            img_path='s2.jpg',
        ),
    ]


def test_fixed_threshold_numbers_use_the_largest_region_by_default():
    # Hand tallies. θ = 0.2 (level 51): S1 'largest' -> B (IoU 0), 'all'
    # -> A among the boxes (IoU 1); S2 -> the outer block (IoU 1).
    # Sweep at IoU 50: 'all': S1 at every t, S2 for t < 0.5 -> best 100 at
    # t = 0 (both correct, top-1: S1). 'largest': S1 for t >= 0.5, S2 for
    # t < 0.5 -> 50 everywhere, first best t = 0 where only S2 (rank 1)
    # is correct.
    largest = evaluate(WSOLMetric(), box_rule_samples())
    assert largest['wsol/gt_known_loc'] == 50.0
    assert largest['wsol/top1_loc'] == 0.0
    assert largest['wsol/gt_known_loc_best'] == 50.0
    assert largest['wsol/top1_loc_best'] == 0.0
    # the sweep keeps its own rule (all contours): unchanged
    assert largest['wsol/MaxBoxAccV2@50'] == 100.0

    every = evaluate(
        WSOLMetric(box_rule=dict(box_mode='all')), box_rule_samples()
    )
    assert every['wsol/gt_known_loc'] == 100.0
    assert every['wsol/top1_loc'] == 50.0
    assert every['wsol/gt_known_loc_best'] == 100.0
    assert every['wsol/top1_loc_best'] == 50.0
    assert every['wsol/MaxBoxAccV2@50'] == 100.0


def test_best_form_has_its_own_best_threshold():
    # S1 alone: 'largest' is correct from t = 0.5 on only
    samples = box_rule_samples()[:1]
    result = evaluate(WSOLMetric(), samples)
    assert result['wsol/gt_known_loc'] == 0.0
    assert result['wsol/gt_known_loc_best'] == 100.0
    assert result['wsol/top1_loc_best'] == 100.0
    union = evaluate(WSOLMetric(box_rule=dict(box_mode='union')), samples)
    # the union box [1, 1, 17, 17] (289 px) holds A: IoU 9 / 289 for
    # t < 0.5, then A alone: IoU 1
    assert union['wsol/gt_known_loc'] == 0.0
    assert union['wsol/gt_known_loc_best'] == 100.0


def test_error_analysis_uses_the_fixed_threshold_box_rule():
    # S1 at θ = 0.2: 'largest' -> B [8, 8, 17, 17], away from A: Other;
    # 'all' -> A: correct
    samples = box_rule_samples()[:1]
    largest = evaluate(WSOLMetric(error_analysis=True), samples)
    assert largest['wsol/err_other'] == 100.0
    every = evaluate(
        WSOLMetric(error_analysis=True, box_rule=dict(box_mode='all')),
        samples,
    )
    assert every['wsol/err_other'] == 0.0
    assert every['wsol/top1_loc'] == 100.0


# ------------------------------------------------------------ golden data
GOLDEN = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))),
    'data',
    'wsolevaluation_golden',
)


def _golden_lines(name):
    with open(osp.join(GOLDEN, 'metadata', 'boxes', name)) as f:
        return [line.strip().split(',') for line in f if line.strip()]


@pytest.mark.parametrize(
    'rule, curve', [('largest', 'MaxBoxAcc'), ('all', 'MaxBoxAccV2')]
)
def test_fixed_threshold_numbers_match_the_community_curves(rule, curve):
    """GT-known Loc at θ = 0.2 (max standard) is the community evaluator's
    accuracy curve at IoU 50 and CAM threshold 0.2 (largest contour:
    MaxBoxAcc; all contours: MaxBoxAccV2); its ``_best`` form is the curve's
    maximum."""
    expected = json.load(open(osp.join(GOLDEN, 'expected.json')))
    expected = expected['interval_0.01']
    with np.load(osp.join(GOLDEN, 'maps.npz')) as data:
        maps = dict(zip((str(i) for i in data['ids']), data['maps']))
    sizes = {
        n: (int(h), int(w)) for n, w, h in _golden_lines('image_sizes.txt')
    }
    boxes = {}
    for name, *box in _golden_lines('localization.txt'):
        boxes.setdefault(name, []).append([float(v) for v in box])
    samples = [
        dict(
            gt_cam=maps[name].astype(np.float64),
            ori_gt_bboxes=boxes[name],
            ori_shape=sizes[name],
            img_id=name,
        )
        for name in maps
    ]
    metric = WSOLMetric(box_rule=dict(box_mode=rule))
    metric.process(None, samples)
    result = metric.evaluate(len(samples))
    assert THRESHOLDS[20] == 0.2
    assert result['wsol/gt_known_loc'] == pytest.approx(
        expected[f'{curve}_curves']['50'][20], abs=1e-9
    )
    assert result['wsol/gt_known_loc_best'] == pytest.approx(
        expected[f'{curve}_per_iou']['50'], abs=1e-9
    )
