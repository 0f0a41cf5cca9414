"""Tests of WSOLMetric (mmwsol.evaluation.metrics)."""

import json

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from wsol_eval_reference import ref_correctness, ref_rescale, ref_thresholds
from wsol_metric_utils import (
    THRESHOLDS,
    evaluate,
    make_sample,
    random_samples,
    two_level_map,
)

from mmwsol.evaluation import WSOLMetric, box_curves_record
from mmwsol.registry import METRICS


def hand_made_samples():
    """Five samples with hand-computed results (map 16 x 16, K = 6).

    Per sample: GT box on the map, per-threshold correctness, GT rank.

    - A: two-level map, GT [4, 4, 24, 24] in a 32 x 32 image -> [2, 2, 12,
      12] = big box: IoU 1 for t < 0.5, 25 / 121 after. Rank 0.
    - B: two-level map, GT [10, 10, 18, 18] -> [5, 5, 9, 9] = small box:
      IoU 25 / 121 for t < 0.5, 1 after. Rank 1.
    - C: left half (cols 0..7) at 1 -> box [0, 0, 8, 16] clipped to
      [0, 0, 8, 15] (144 pixels). Image (h, w) = (64, 32), GT [0, 0, 30, 60]
      -> [0, 0, 15, 15] (256 pixels): IoU 144 / 256 = 0.5625 at every t.
      Rank 5 (last).
    - D: all-zero map -> [0, 0, 0, 0]; GT [[20, 20, 30, 30], [0, 0, 2, 2]]
      -> [10, 10, 15, 15], [0, 0, 1, 1]: best IoU 1 / 4. Rank 0.
    - E: as B. Rank 0.
    """
    left = np.zeros((16, 16))
    left[:, 0:8] = 1.0
    return [
        make_sample(
            two_level_map(),
            0,
            [0.9, 0.05, 0.02, 0.01, 0.01, 0.01],
            [[4, 4, 24, 24]],
            (32, 32),
            img_path='a.jpg',
        ),
        make_sample(
            two_level_map(),
            1,
            [0.1, 0.3, 0.4, 0.1, 0.05, 0.05],
            [[10, 10, 18, 18]],
            (32, 32),
            img_path='b.jpg',
        ),
        make_sample(
            left,
            2,
            [0.3, 0.2, 0.01, 0.15, 0.14, 0.2],
            [[0, 0, 30, 60]],
            (64, 32),
            img_path='c.jpg',
        ),
        make_sample(
            np.zeros((16, 16)),
            3,
            [0.1, 0.1, 0.1, 0.5, 0.1, 0.1],
            [[20, 20, 30, 30], [0, 0, 2, 2]],
            (32, 32),
            img_path='d.jpg',
        ),
        make_sample(
            two_level_map(),
            4,
            [0.1, 0.1, 0.1, 0.1, 0.5, 0.1],
            [[10, 10, 18, 18]],
            (32, 32),
            img_path='e.jpg',
        ),
    ]


# Hand tallies (N = 5), per CAM threshold t:
#   IoU 30 / 50: t < 0.5 -> A, C (40 %); t >= 0.5 -> B, C, E (60 %)
#   IoU 70:      t < 0.5 -> A (20 %);    t >= 0.5 -> B, E (40 %)
#   classification: ranks A 0, B 1, C 5, D 0, E 0 -> top-1 60 %, top-5 80 %
#   fixed θ = 0.2, max standard: level int(0.2 * 255) = 51 < 127 -> big box:
#     GT-known: A, C (40 %); top-1 loc: A (20 %); top-5 loc: A (20 %)
#   best IoU-50 threshold 0.5: B, C, E correct
#     top-1 loc: E (20 %); top-5 loc: B, E (40 %)
EXPECTED = {
    'top1_cls': 60.0,
    'top5_cls': 80.0,
    'gt_known_loc': 40.0,
    'top1_loc': 20.0,
    'top5_loc': 20.0,
    'MaxBoxAccV2': (60.0 + 60.0 + 40.0) / 3,
    'MaxBoxAccV2@30': 60.0,
    'MaxBoxAccV2@50': 60.0,
    'MaxBoxAccV2@70': 40.0,
    'best_thr@30': THRESHOLDS[50],
    'best_thr@50': THRESHOLDS[50],
    'best_thr@70': THRESHOLDS[50],
    'gt_known_loc_best': 60.0,
    'top1_loc_best': 20.0,
    'top5_loc_best': 40.0,
    'invalid_maps': 0,
}


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


def test_distributed_gather_gives_the_same_result():
    """Split over 3 'ranks' as MMEngine does: padded, strided, collected."""
    rng = np.random.default_rng(8)
    samples = random_samples(rng, 11)
    single = evaluate(WSOLMetric(), samples, batch_size=3)

    world_size = 3
    padded = samples + samples[: (-len(samples)) % world_size]
    ranks = []
    for rank in range(world_size):
        metric = WSOLMetric()
        part = padded[rank::world_size]
        for i in range(0, len(part), 2):
            metric.process(None, part[i : i + 2])
        ranks.append(metric.results)
    # mmengine.dist.collect_results (cpu): interleave the parts, truncate
    gathered = [entry for group in zip(*ranks) for entry in group]
    gathered = gathered[: len(samples)]
    metric = WSOLMetric()
    metrics = metric.compute_metrics(gathered)
    assert {f'wsol/{k}': v for k, v in metrics.items()} == single

    # the order of the entries does not matter either
    chunked = WSOLMetric()
    for chunk in (samples[5:], samples[:2], samples[2:5]):
        chunked.process(None, chunk)
    assert chunked.evaluate(len(samples)) == single


def test_entries_are_compact():
    rng = np.random.default_rng(9)
    metric = WSOLMetric(cam_curve_interval=0.001)
    metric.process(None, random_samples(rng, 2, height=224, width=224))
    for entry in metric.results:
        assert not any(
            isinstance(v, torch.Tensor) or getattr(v, 'size', 0) > 3 * 125
            for v in entry.values()
        )


def test_tensor_inputs_any_dtype():
    samples = hand_made_samples()
    for sample in samples:
        sample['gt_cam'] = sample['gt_cam'].double()
        sample['pred_score'] = sample['pred_score'].half()
        sample['ori_gt_bboxes'] = sample['ori_gt_bboxes'].numpy()
        sample['gt_label'] = int(sample['gt_label'])
    result = evaluate(WSOLMetric(), samples)
    assert result['wsol/MaxBoxAccV2@50'] == 60.0
    assert result['wsol/top1_cls'] == 60.0


def test_built_from_registry_and_evaluator():
    metric = METRICS.build(dict(type='WSOLMetric', prefix='loc'))
    assert isinstance(metric, WSOLMetric)
    evaluator = Evaluator(metric)
    evaluator.process(hand_made_samples())
    result = evaluator.evaluate(5)
    assert result['loc/MaxBoxAccV2@30'] == 60.0


def test_missing_boxes_name_the_image():
    sample = hand_made_samples()[0]
    del sample['ori_gt_bboxes']
    with pytest.raises(ValueError, match=r'a\.jpg.*ori_gt_bboxes'):
        WSOLMetric().process(None, [sample])

    sample = hand_made_samples()[1]
    sample['ori_gt_bboxes'] = torch.zeros((0, 4))
    with pytest.raises(ValueError, match=r'b\.jpg.*no GT box'):
        WSOLMetric().process(None, [sample])

    sample = hand_made_samples()[2]
    sample.pop('img_path')
    sample['img_id'] = 'id-42'
    sample['ori_gt_bboxes'] = torch.tensor([[5.0, 5.0, 2.0, 8.0]])
    with pytest.raises(ValueError, match='id-42'):
        WSOLMetric().process(None, [sample])


def test_bad_map_names_the_image():
    sample = hand_made_samples()[0]
    sample['gt_cam'] = sample['gt_cam'] * 2
    with pytest.raises(ValueError, match=r'a\.jpg.*\[0, 1\]'):
        WSOLMetric().process(None, [sample])


def test_invalid_arguments():
    with pytest.raises(ValueError):
        WSOLMetric(box_mode='biggest')
    with pytest.raises(ValueError, match=r'box_rule\.box_mode'):
        WSOLMetric(box_rule=dict(box_mode='biggest'))
    with pytest.raises(ValueError):
        WSOLMetric(box_rule=dict(threshold_standard='mean'))
    with pytest.raises(ValueError, match='percentages'):
        WSOLMetric(iou_thresholds=(50, 150))
    with pytest.raises(ValueError, match='percentages'):
        WSOLMetric(iou_thresholds=(0.3, 0.5, 0.7))


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


# ----------------------------------------------- samples without scores
LOC_KEYS = (
    'MaxBoxAccV2',
    'gt_known_loc',
    'MaxBoxAccV2@30',
    'MaxBoxAccV2@50',
    'MaxBoxAccV2@70',
    'best_thr@30',
    'best_thr@50',
    'best_thr@70',
    'gt_known_loc_best',
    'invalid_maps',
)


def without_scores(samples, drop_label=False):
    for sample in samples:
        sample.pop('pred_score')
        if drop_label:
            sample.pop('gt_label')
    return samples


@pytest.mark.parametrize('drop_label', [False, True])
def test_samples_without_scores_report_localization_only(drop_label):
    samples = without_scores(hand_made_samples(), drop_label)
    result = evaluate(WSOLMetric(), samples)
    assert set(result) == {f'wsol/{k}' for k in LOC_KEYS}
    for key in LOC_KEYS:
        assert result[f'wsol/{key}'] == pytest.approx(
            EXPECTED[key], abs=1e-12
        ), key


def test_mixing_samples_with_and_without_scores_fails():
    samples = hand_made_samples()
    samples[3].pop('pred_score')
    metric = WSOLMetric()
    metric.process(None, samples[:3])
    with pytest.raises(ValueError, match=r"d\.jpg.*lacks 'pred_score'"):
        metric.process(None, samples[3:])
    # gathered from ranks that each saw one kind only
    with_scores = WSOLMetric()
    with_scores.process(None, samples[:3])
    alone = WSOLMetric()
    alone.process(None, samples[3:4])
    with pytest.raises(ValueError, match='3 samples with .*1 without'):
        WSOLMetric().compute_metrics(with_scores.results + alone.results)


def test_scores_need_the_gt_label():
    sample = hand_made_samples()[0]
    sample.pop('gt_label')
    with pytest.raises(ValueError, match=r'a\.jpg.*gt_label'):
        WSOLMetric().process(None, [sample])


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


# ------------------------------------------- distributed with options
@pytest.mark.parametrize(
    'options',
    [
        dict(error_analysis=True, box_mode='union'),
        dict(
            error_analysis=True, box_mode='largest', cam_curve_interval=0.001
        ),
    ],
)
@pytest.mark.parametrize('scores', [True, False])
def test_distributed_with_options(options, scores):
    rng = np.random.default_rng(12)
    samples = random_samples(rng, 10)
    if not scores:
        samples = without_scores(samples)
    single = evaluate(WSOLMetric(**options), samples, batch_size=3)
    assert ('wsol/err_cls' in single) == scores
    world_size = 4
    padded = samples + samples[: (-len(samples)) % world_size]
    parts = []
    for rank in range(world_size):
        metric = WSOLMetric(**options)
        metric.process(None, padded[rank::world_size])
        parts.append(metric.results)
    gathered = [entry for group in zip(*parts) for entry in group]
    metrics = WSOLMetric(**options).compute_metrics(gathered[: len(samples)])
    assert {f'wsol/{k}': v for k, v in metrics.items()} == single
    for entry in gathered:
        # 'loc_correct': the fixed-threshold box rule ('largest') differs
        # from the sweep's in the union case
        assert set(entry) == {
            'gt_rank',
            'num_classes',
            'box_correct',
            'fixed_correct',
            'loc_error',
            'invalid_map',
            'gt_off_map',
        } | ({'loc_correct'} if options['box_mode'] == 'union' else set())
