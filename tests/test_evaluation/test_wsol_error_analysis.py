"""SPA's error analysis (Pan et al., CVPR 2021, appendix, Algorithm 1)."""

import numpy as np
import pytest
import torch

from mmwsol.evaluation import WSOLMetric
from mmwsol.evaluation.functional import (
    LOC_CORRECT,
    LOC_MORE,
    LOC_MULTI_INSTANCE,
    LOC_OTHER,
    LOC_PART,
    best_box,
    box_overlaps,
    error_rates,
    localization_error,
)


# --------------------------------------------------------- the algorithm
def test_overlaps_hand_computed():
    # pred 10 x 15 = 150 px, GT 10 x 10 = 100 px, intersection 8 x 10 = 80
    iou, iog, iop = box_overlaps([0, 2, 9, 16], np.array([[0, 0, 9, 9]]))
    assert iou.tolist() == [80 / 170]
    assert iog.tolist() == [80 / 100]
    assert iop.tolist() == [80 / 150]


@pytest.mark.parametrize(
    'pred, gts, expected',
    [
        # the GT box itself: IoU 1 > 0.5
        ([5, 5, 15, 15], [[5, 5, 15, 15]], LOC_CORRECT),
        # one box over two objects: IoU 100 / 300 each, IoG 1 for both
        ([0, 0, 29, 9], [[0, 0, 9, 9], [20, 0, 29, 9]], LOC_MULTI_INSTANCE),
        # between two adjacent objects: IoG 0.5 and 0.5 -> M-Ins before
        # Part (IoP is 0.5 for each, not > 0.5 anyway)
        ([5, 0, 14, 9], [[0, 0, 9, 9], [10, 0, 19, 9]], LOC_MULTI_INSTANCE),
        # a quarter of the object: IoU 0.25, IoP 1 -> Part
        ([0, 0, 9, 9], [[0, 0, 19, 19]], LOC_PART),
        # IoU 80 / 170 = 0.47, IoP 0.53 and IoG 0.8: Part is tested first
        ([0, 2, 9, 16], [[0, 0, 9, 9]], LOC_PART),
        # nine times the object: IoU 1 / 9, IoG 1 -> More
        ([0, 0, 29, 29], [[10, 10, 19, 19]], LOC_MORE),
        # IoU exactly 0.5 is not "> 0.5"; IoP 0.5 is not > 0.5; IoG 1: More
        ([0, 0, 9, 19], [[0, 0, 9, 9]], LOC_MORE),
        # elsewhere
        ([20, 20, 29, 29], [[0, 0, 9, 9]], LOC_OTHER),
        # overlapping a bit of one object: IoU, IoG, IoP 25 / 175 ...
        ([5, 5, 14, 14], [[0, 0, 9, 9]], LOC_OTHER),
        # ... and a single object never makes M-Ins
        ([0, 0, 29, 29], [[0, 0, 29, 29], [100, 100, 110, 110]], LOC_CORRECT),
    ],
)
def test_cases_hand_computed(pred, gts, expected):
    assert localization_error(np.array(pred), np.array(gts)) == expected


def test_iou_threshold_is_strict_and_configurable():
    pred, gt = np.array([0, 0, 9, 19]), np.array([[0, 0, 9, 9]])  # IoU 0.5
    assert localization_error(pred, gt, 0.5) == LOC_MORE
    assert localization_error(pred, gt, 0.49) == LOC_CORRECT


def test_best_box_picks_the_box_of_the_best_iou():
    boxes = np.array([[20, 20, 29, 29], [0, 0, 4, 9], [0, 0, 9, 9]])
    gts = np.array([[0, 0, 9, 19]])
    # IoUs 0, 50 / 200, 100 / 200
    assert best_box(boxes, gts).tolist() == [0, 0, 9, 9]
    # ties: the first box
    assert best_box(boxes[[0, 0]], gts).tolist() == [20, 20, 29, 29]


def test_rates():
    codes = np.array([LOC_CORRECT, LOC_PART, LOC_PART, LOC_OTHER, LOC_MORE])
    top1 = np.array([True, True, False, True, True])
    assert error_rates(codes, top1) == dict(
        cls=20.0, multi_instance=0.0, part=20.0, more=20.0, other=20.0
    )
    # GT-known: no classification step
    assert error_rates(codes) == dict(
        multi_instance=0.0, part=40.0, more=20.0, other=20.0
    )


# ------------------------------------------------------------ the metric
def block_sample(rows, cols, gt_boxes, scores, label, name):
    """A 40 x 40 map with one block at 1: its box is ``[c0, r0, c1 + 1,
    r1 + 1]`` (the bounding rect convention)."""
    cam = np.zeros((40, 40))
    cam[rows[0] : rows[1] + 1, cols[0] : cols[1] + 1] = 1.0
    sample = dict(
        gt_cam=torch.tensor(cam, dtype=torch.float32),
        ori_gt_bboxes=torch.tensor(gt_boxes, dtype=torch.float32),
        ori_shape=(40, 40),
        img_path=name,
    )
    if scores is not None:
        sample.update(
            pred_score=torch.tensor(scores), gt_label=torch.tensor([label])
        )
    return sample


def one_sample_per_case(with_scores=True):
    right, wrong = [0.9, 0.1], [0.2, 0.8]
    pick = (lambda s: s) if with_scores else (lambda s: None)
    return [
        # box [5, 5, 15, 15] = GT: correct
        block_sample(
            (5, 14), (5, 14), [[5, 5, 15, 15]], pick(right), 0, 'correct.jpg'
        ),
        # the same box, top-1 class wrong: Cls
        block_sample(
            (5, 14), (5, 14), [[5, 5, 15, 15]], pick(wrong), 0, 'cls.jpg'
        ),
        # box [0, 0, 30, 10] (341 px) over two 121-px objects: M-Ins
        block_sample(
            (0, 9),
            (0, 29),
            [[0, 0, 10, 10], [20, 0, 30, 10]],
            pick(right),
            0,
            'm-ins.jpg',
        ),
        # box [0, 0, 10, 10] inside the GT [0, 0, 30, 30]: Part
        block_sample(
            (0, 9), (0, 9), [[0, 0, 30, 30]], pick(right), 0, 'part.jpg'
        ),
        # box [0, 0, 30, 30] around the GT [10, 10, 15, 15]: More
        block_sample(
            (0, 29), (0, 29), [[10, 10, 15, 15]], pick(right), 0, 'more.jpg'
        ),
        # box [0, 0, 10, 10] away from the GT [25, 25, 35, 35]: Other
        block_sample(
            (0, 9), (0, 9), [[25, 25, 35, 35]], pick(right), 0, 'other.jpg'
        ),
    ]


def test_metric_one_sample_per_case():
    metric = WSOLMetric(error_analysis=True, topk=1)
    metric.process(None, one_sample_per_case())
    result = metric.evaluate(6)
    sixth = 100 / 6
    for key in (
        'err_cls',
        'err_multi_instance',
        'err_part',
        'err_more',
        'err_other',
        'top1_loc',
        'top1_cls',
    ):
        assert key == 'top1_cls' or result[f'wsol/{key}'] == pytest.approx(
            sixth, abs=1e-12
        ), key
    assert result['wsol/top1_cls'] == pytest.approx(500 / 6)
    # the cases and Top-1 Loc split the images
    parts = [
        result[f'wsol/{k}']
        for k in (
            'err_cls',
            'err_multi_instance',
            'err_part',
            'err_more',
            'err_other',
            'top1_loc',
        )
    ]
    assert sum(parts) == pytest.approx(100.0)


def test_metric_without_scores_is_gt_known():
    metric = WSOLMetric(error_analysis=True)
    metric.process(None, one_sample_per_case(with_scores=False))
    result = metric.evaluate(6)
    assert 'wsol/err_cls' not in result
    # the 'cls' sample is a correct box now
    assert result['wsol/gt_known_loc'] == pytest.approx(200 / 6)
    for key in ('err_multi_instance', 'err_part', 'err_more', 'err_other'):
        assert result[f'wsol/{key}'] == pytest.approx(100 / 6)


def test_metric_uses_the_best_box_in_all_mode():
    """Two blocks: [0, 0, 10, 10] inside the GT [0, 0, 30, 15] (121 of 496
    pixels: IoU 0.24, IoP 1, Part) and [30, 30, 35, 35] away from it, which
    OpenCV lists first. The union box [0, 0, 35, 35] holds the GT: IoU
    496 / 1296 = 0.38, IoG 1, IoP 0.38: More."""
    cam = np.zeros((40, 40))
    cam[0:10, 0:10] = 1.0
    cam[30:35, 30:35] = 1.0
    sample = dict(
        gt_cam=torch.tensor(cam),
        ori_gt_bboxes=torch.tensor([[0.0, 0.0, 30.0, 15.0]]),
        ori_shape=(40, 40),
    )
    for mode, key in (
        ('all', 'err_part'),
        ('largest', 'err_part'),
        ('union', 'err_more'),
    ):
        # the error cases use the fixed-threshold box rule
        metric = WSOLMetric(error_analysis=True, box_rule=dict(box_mode=mode))
        metric.process(None, [sample])
        result = metric.evaluate(1)
        assert result[f'wsol/{key}'] == 100.0, mode
