"""Tests of WSOLMetric's inputs: tensor types, the registry, samples
without scores and the errors that name the image."""

import pytest
import torch
from mmengine.evaluator import Evaluator
from wsol_metric_utils import (
    EXPECTED,
    LOC_KEYS,
    evaluate,
    hand_made_samples,
    without_scores,
)

from mmwsol.evaluation import WSOLMetric
from mmwsol.registry import METRICS


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
