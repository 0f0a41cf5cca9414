"""Tests of WSOLMetric's numbers: hand-computed samples, a slow
reference on random maps, the box modes and the curves record.

Inputs and errors: test_wsol_metric_inputs.py; distributed evaluation:
test_wsol_metric_distributed.py."""

import json

import numpy as np
import pytest
from wsol_eval_reference import ref_correctness, ref_rescale, ref_thresholds
from wsol_metric_utils import (
    EXPECTED,
    THRESHOLDS,
    evaluate,
    hand_made_samples,
    make_sample,
    random_samples,
)

from mmwsol.evaluation import WSOLMetric, box_curves_record


def test_hand_made_samples():
    metric = WSOLMetric()
    result = evaluate(metric, hand_made_samples())
    assert set(result) == {f'wsol/{k}' for k in EXPECTED}
    for key, value in EXPECTED.items():
        assert result[f'wsol/{key}'] == pytest.approx(value, abs=1e-12), key
        assert isinstance(
            result[f'wsol/{key}'], int if key == 'invalid_maps' else float
        )
    assert THRESHOLDS[50] == 0.5


def test_hand_made_samples_percentile_standard():
    # 90th percentile of the two-level map: 156 zeros, 84 x 127, 16 x 255,
    # position 0.9 * 255 = 229.5 -> 127; θ = 1 -> level 127 -> small box.
    # C: 128 x 0, 128 x 255 -> 255 -> empty -> [0, 0, 0, 0]: wrong.
    # D: all zero -> wrong. GT-known: B, E; top-1: E; top-5: B, E.
    metric = WSOLMetric(
        box_rule=dict(
            threshold=1.0, threshold_standard='percentile', percentile=90
        ),
        prefix='pas',
    )
    result = evaluate(metric, hand_made_samples(), batch_size=5)
    assert result['pas/gt_known_loc'] == 40.0
    assert result['pas/top1_loc'] == 20.0
    assert result['pas/top5_loc'] == 40.0
    # the curve numbers do not depend on the fixed threshold
    assert result['pas/MaxBoxAccV2@50'] == 60.0


def test_fixed_threshold_above_half():
    # θ = 0.6: level int(153.0) = 153 > 127 -> small box: B, C, E correct
    metric = WSOLMetric(box_rule=dict(threshold=0.6))
    result = evaluate(metric, hand_made_samples())
    assert result['wsol/gt_known_loc'] == 60.0
    assert result['wsol/top1_loc'] == 20.0
    assert result['wsol/top5_loc'] == 40.0


def test_largest_mode_names_and_values():
    # two blobs; the GT box is the small one: V2 finds it, V1 does not
    cam = np.zeros((20, 20))
    cam[1:4, 1:4] = 1.0  # small blob: box [1, 1, 4, 4]
    cam[8:18, 8:18] = 1.0  # large blob: box [8, 8, 18, 18]
    samples = [make_sample(cam, 0, [0.6, 0.4], [[1, 1, 4, 4]], (20, 20))]
    v2 = evaluate(WSOLMetric(box_rule=dict(box_mode='all')), samples)
    v1 = evaluate(WSOLMetric(box_mode='largest'), samples)
    assert v2['wsol/MaxBoxAccV2'] == 100.0
    assert v2['wsol/gt_known_loc'] == 100.0
    assert v1['wsol/MaxBoxAcc'] == 0.0
    assert v1['wsol/MaxBoxAcc@50'] == 0.0
    assert v1['wsol/gt_known_loc'] == 0.0
    assert not any('V2' in key for key in v1)
    # K = 2 < 5: no top-5 numbers
    assert 'wsol/top5_cls' not in v2 and 'wsol/top5_loc' not in v2
    assert v2['wsol/top1_cls'] == 100.0


def test_single_iou_threshold_and_other_loc_iou():
    metric = WSOLMetric(iou_thresholds=(70,), loc_iou_threshold=30, topk=1)
    result = evaluate(metric, hand_made_samples())
    assert result['wsol/MaxBoxAccV2'] == 40.0
    assert result['wsol/MaxBoxAccV2@70'] == 40.0
    assert 'wsol/MaxBoxAccV2@50' not in result
    # GT-known at IoU 30 equals IoU 50 here (C has IoU 0.5625)
    assert result['wsol/gt_known_loc'] == 40.0
    assert result['wsol/gt_known_loc_best'] == 60.0
    assert set(k for k in result if 'top' in k) == {
        'wsol/top1_cls',
        'wsol/top1_loc',
        'wsol/top1_loc_best',
    }


def reference_summary(samples, thresholds, iou_thresholds=(30, 50, 70)):
    """MaxBoxAccV2 and GT-known at the best IoU-50 threshold, by hand."""
    tables = []
    for sample in samples:
        cam = sample['gt_cam'].numpy().astype(np.float64)
        ori_h, ori_w = sample['ori_shape']
        gt = [
            ref_rescale(b, ori_h, ori_w, *cam.shape)
            for b in sample['ori_gt_bboxes'].tolist()
        ]
        tables.append(
            ref_correctness(cam, gt, thresholds, iou_thresholds, 'all')
        )
    num = len(samples)
    best = []
    for i in range(len(iou_thresholds)):
        accuracies = [
            sum(int(table[i, j]) for table in tables) * 100.0 / num
            for j in range(len(thresholds))
        ]
        best.append(max(accuracies))
    return sum(best) / len(best), best


def test_random_samples_match_reference():
    rng = np.random.default_rng(7)
    samples = random_samples(rng, 12)
    result = evaluate(WSOLMetric(), samples, batch_size=4)
    main, best = reference_summary(samples, ref_thresholds(0.01))
    assert result['wsol/MaxBoxAccV2'] == pytest.approx(main, abs=1e-12)
    assert [result[f'wsol/MaxBoxAccV2@{d}'] for d in (30, 50, 70)] == best


def test_best_threshold_inside_the_curve():
    """Three nested blocks; only the middle one matches the GT box.

    u8 levels 76 (0.3), 165 (0.65) and 255: for t <= 0.29 the box is the
    outer block [2, 2, 18, 18] (289 pixels), for 0.30 <= t <= 0.64 the
    middle block [5, 5, 15, 15] (121 pixels, = GT), from 0.65 on the inner
    block [8, 8, 12, 12] (25 pixels). IoU with the GT: 121 / 289 = 0.419,
    1 and 25 / 121 = 0.207.
    """
    cam = np.zeros((20, 20))
    cam[2:18, 2:18] = 0.3
    cam[5:15, 5:15] = 0.65
    cam[8:12, 8:12] = 1.0
    samples = [make_sample(cam, 1, [0.2, 0.8], [[5, 5, 15, 15]], (20, 20))]
    result = evaluate(WSOLMetric(), samples)
    assert result['wsol/MaxBoxAccV2@30'] == 100.0
    assert result['wsol/best_thr@30'] == THRESHOLDS[0]
    assert result['wsol/MaxBoxAccV2@50'] == 100.0
    assert result['wsol/best_thr@50'] == THRESHOLDS[30]
    assert result['wsol/best_thr@70'] == THRESHOLDS[30]
    assert result['wsol/top1_loc_best'] == 100.0
    # θ = 0.2: level 51 < 76 -> the outer block, IoU 0.419
    assert result['wsol/gt_known_loc'] == 0.0
    assert result['wsol/top1_loc'] == 0.0
    # θ = 0.5: level 127 -> the middle block
    result = evaluate(WSOLMetric(box_rule=dict(threshold=0.5)), samples)
    assert result['wsol/top1_loc'] == 100.0


# --------------------------------------------------------- union boxes
def test_union_mode_names_and_values():
    # two blobs; the GT box holds both: only the union box matches it
    cam = np.zeros((20, 20))
    cam[1:4, 1:4] = 1.0  # box [1, 1, 4, 4]
    cam[10:18, 10:18] = 1.0  # box [10, 10, 18, 18]
    samples = [make_sample(cam, 0, [0.6, 0.4], [[1, 1, 18, 18]], (20, 20))]
    union = evaluate(
        WSOLMetric(box_mode='union', box_rule=dict(box_mode='union')),
        samples,
    )
    assert union['wsol/MaxBoxAccUnion'] == 100.0
    assert union['wsol/MaxBoxAccUnion@70'] == 100.0
    assert union['wsol/gt_known_loc'] == 100.0
    assert union['wsol/top1_loc'] == 100.0
    v2 = evaluate(WSOLMetric(box_rule=dict(box_mode='all')), samples)
    # the larger blob: 81 / 324 = 0.25
    assert v2['wsol/MaxBoxAccV2@30'] == 0.0
    assert v2['wsol/gt_known_loc'] == 0.0


# --------------------------------------------------------------- curves
def test_curves_file(tmp_path):
    path = tmp_path / 'out' / 'curves.json'
    metric = WSOLMetric(curves_file=str(path), loc_iou_threshold=60)
    samples = hand_made_samples()
    result = evaluate(metric, samples)
    curves = json.loads(path.read_text())
    assert curves['box_mode'] == 'all'
    assert curves['interval'] == 0.01
    assert curves['num_images'] == 5
    assert curves['thresholds'] == THRESHOLDS.tolist()
    # the MaxBoxAcc IoU thresholds only (not the extra loc row)
    assert curves['iou_thresholds'] == [30.0, 50.0, 70.0]
    # hand tallies: 40 / 40 / 20 below t = 0.5, 60 / 60 / 40 from it on
    expected = [
        [40.0] * 50 + [60.0] * 50,
        [40.0] * 50 + [60.0] * 50,
        [20.0] * 50 + [40.0] * 50,
    ]
    assert curves['accuracy'] == expected
    assert curves['max_accuracy'] == [60.0, 60.0, 40.0]
    assert curves['best_threshold'] == [0.5, 0.5, 0.5]
    assert result['wsol/MaxBoxAccV2@50'] == 60.0


def test_box_accuracy_curves_function():
    correct = np.zeros((4, 2, 3), dtype=bool)
    correct[:3, 0, 1] = True
    correct[0, 1, :] = True
    curves = box_curves_record(
        correct, [0.0, 0.4, 0.8], (30, 70), box_mode='largest', interval=0.4
    )
    assert curves == dict(
        thresholds=[0.0, 0.4, 0.8],
        iou_thresholds=[30.0, 70.0],
        accuracy=[[0.0, 75.0, 0.0], [25.0, 25.0, 25.0]],
        max_accuracy=[75.0, 25.0],
        best_threshold=[0.4, 0.0],
        box_mode='largest',
        interval=0.4,
        num_images=4,
    )
    json.dumps(curves)  # JSON-ready
    with pytest.raises(ValueError, match='shape'):
        box_curves_record(correct, [0.0, 0.4, 0.8], (30, 50, 70))
