"""NWC and PaS of Rethinking CAM, and the configs that switch them on."""

import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmwsol.evaluation.functional import fixed_threshold_level
from mmwsol.registry import METRICS, MODELS
from mmwsol.utils import apply_box_rule

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CFG_DIR = osp.join(ROOT, 'configs', 'rethinking_cam')


class _Classifier(nn.Module):
    """The part of WSOLClassifier a weight-based localizer uses."""

    def __init__(self, head):
        super().__init__()
        self.head = head


def _head_with_hand_set_weights():
    head = MODELS.build(
        dict(
            type='CAMHead',
            num_classes=2,
            in_channels=2,
            pool=dict(type='ThresholdedAvgPool', threshold=0.1),
        )
    )
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.5]]))
        head.fc.bias.copy_(torch.tensor([0.25, 0.0]))
    return head


def test_nwc_changes_the_map_exactly_as_by_hand():
    head = _head_with_hand_set_weights()
    model = _Classifier(head)
    f0 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    f1 = torch.tensor([[0.0, 8.0], [0.0, 0.0]])
    feats = (torch.stack([f0, f1])[None],)
    inputs = torch.zeros(1, 3, 2, 2)  # maps keep their 2x2 size
    targets = torch.tensor([[0, 1]])
    logits = head(feats)
    cam = MODELS.build(dict(type='CAM'))
    nwc = MODELS.build(dict(type='CAM', clamp_negative_weights=True))

    raw = cam(model, inputs, feats, logits, targets)
    raw_nwc = nwc(model, inputs, feats, logits, targets)
    # class 0: 1 * F0 - 2 * F1, clamped: 1 * F0 + 0 * F1
    assert torch.equal(raw[0, 0], torch.tensor([[1.0, -14.0], [3.0, 4.0]]))
    assert torch.equal(raw_nwc[0, 0], f0)
    # class 1 has no negative weight: unchanged, 0.5 * (F0 + F1)
    expected1 = torch.tensor([[0.5, 5.0], [1.5, 2.0]])
    assert torch.equal(raw[0, 1], expected1)
    assert torch.equal(raw_nwc[0, 1], expected1)

    # min-max normalised maps: (m - min) / (max - min)
    maps = cam.localize(model, inputs, feats, logits, targets)
    maps_nwc = nwc.localize(model, inputs, feats, logits, targets)
    assert torch.allclose(
        maps[0, 0], torch.tensor([[15.0, 0.0], [17.0, 18.0]]) / 18
    )
    assert torch.allclose(
        maps_nwc[0, 0], torch.tensor([[0.0, 1.0], [2.0, 3.0]]) / 3
    )

    # classification is untouched: the weights keep their sign
    assert head.fc.weight[0, 1].item() == -2.0
    assert torch.equal(head(feats), logits)
    # TAP (theta 0.1) pools F0 to 2.5 and F1 to 8
    assert torch.allclose(logits, torch.tensor([[2.5 - 16.0 + 0.25, 5.25]]))


def test_percentile_level_by_hand_and_with_numpy():
    u8 = np.arange(100, dtype=np.uint8).reshape(10, 10)
    # 90th percentile of 0..99 (linear): 0.9 * 99 = 89.1 -> int(0.35 * 89.1)
    assert fixed_threshold_level(u8, 0.35, 'percentile', 90) == 31
    # the max standard: int(0.35 * 99)
    assert fixed_threshold_level(u8, 0.35, 'max') == 34
    rng = np.random.default_rng(0)
    for _ in range(20):
        u8 = rng.integers(0, 256, size=(17, 23)).astype(np.uint8)
        u8[rng.random(u8.shape) < 0.6] = 0  # mostly background
        for i in (80, 90, 95, 100):
            expected = int(0.35 * np.percentile(u8, i))
            assert fixed_threshold_level(u8, 0.35, 'percentile', i) == expected
    # the 100th percentile is the max standard
    assert fixed_threshold_level(
        u8, 0.35, 'percentile', 100
    ) == fixed_threshold_level(u8, 0.35, 'max')


def _peaked_sample():
    """20x20 map: a 16x16 object at 0.3 (u8 76) with a 2x2 peak at 1.

    Max standard, theta 0.35: level int(0.35 * 255) = 89, only the peak
    (box [8, 8, 10, 10]) survives: IoU 9 / 289 with the GT. Percentile
    standard: the 90th percentile of 144 zeros, 252 x 76 and 4 x 255 is 76,
    level int(0.35 * 76) = 26, the whole object is kept: box [2, 2, 18, 18]
    = GT.
    """
    cam = torch.zeros(20, 20)
    cam[2:18, 2:18] = 0.3
    cam[8:10, 8:10] = 1.0
    return dict(
        pred_score=torch.tensor([0.9, 0.1]),
        gt_label=torch.tensor([0]),
        gt_cam=cam,
        ori_gt_bboxes=torch.tensor([[2.0, 2.0, 18.0, 18.0]]),
        ori_shape=(20, 20),
    )


@pytest.mark.parametrize(
    'standard,expected', [('max', 0.0), ('percentile', 100.0)]
)
def test_pas_in_the_metric(standard, expected):
    metric = METRICS.build(
        dict(
            type='WSOLMetric',
            box_rule=dict(
                threshold=0.35, threshold_standard=standard, percentile=90
            ),
            topk=1,
        )
    )
    metric.process(None, [_peaked_sample()])
    result = metric.evaluate(1)
    assert result['wsol/gt_known_loc'] == expected
    assert result['wsol/top1_loc'] == expected


# (config, theta_tap or None, NWC, PaS)
ROWS = [
    ('rethinking-cam-tap_vgg16_1xb32_cub.py', 0.1, False, False),
    ('rethinking-cam-nwc_vgg16_1xb32_cub.py', None, True, False),
    ('rethinking-cam-pas_vgg16_1xb32_cub.py', None, False, True),
    ('rethinking-cam-tap-nwc_vgg16_1xb32_cub.py', 0.1, True, False),
    ('rethinking-cam-tap-pas_vgg16_1xb32_cub.py', 0.1, False, True),
    ('rethinking-cam-nwc-pas_vgg16_1xb32_cub.py', None, True, True),
    ('rethinking-cam_vgg16_1xb32_cub.py', 0.1, True, True),
    ('rethinking-cam_vgg16_1xb32_imagenet.py', 0.1, True, True),
    ('rethinking-cam_vgg16_1xb32_openimages.py', 0.1, True, False),
    ('rethinking-cam_resnet50_1xb32_cub.py', 0.0, True, True),
    ('rethinking-cam_resnet50_1xb32_imagenet.py', 0.0, True, True),
    ('rethinking-cam_resnet50_1xb32_openimages.py', 0.0, True, False),
    ('rethinking-cam_inception-v3_1xb32_cub.py', 0.0, True, True),
    ('rethinking-cam_inception-v3_1xb32_imagenet.py', 0.0, True, True),
    ('rethinking-cam_inception-v3_1xb32_openimages.py', 0.0, True, False),
    ('rethinking-cam-tap_tinynet_1xb32_synthetic.py', 0.1, False, False),
    ('rethinking-cam-nwc_tinynet_1xb32_synthetic.py', None, True, False),
    ('rethinking-cam-pas_tinynet_1xb32_synthetic.py', None, False, True),
    ('rethinking-cam-tap-nwc_tinynet_1xb32_synthetic.py', 0.1, True, False),
    ('rethinking-cam-tap-pas_tinynet_1xb32_synthetic.py', 0.1, False, True),
    ('rethinking-cam-nwc-pas_tinynet_1xb32_synthetic.py', None, True, True),
    ('rethinking-cam_tinynet_1xb32_synthetic.py', 0.1, True, True),
]


def _box_metrics(evaluator):
    evaluators = evaluator if isinstance(evaluator, list) else [evaluator]
    return [e for e in evaluators if e['type'] == 'WSOLMetric']


@pytest.mark.parametrize('name,theta,nwc,pas', ROWS, ids=[r[0] for r in ROWS])
def test_config_switches_the_techniques(name, theta, nwc, pas):
    cfg = Config.fromfile(osp.join(CFG_DIR, name))
    pool = cfg.model.head.pool
    if theta is None:
        assert pool == dict(type='GAP')
    else:
        assert pool == dict(type='ThresholdedAvgPool', threshold=theta)
    assert cfg.model.localizer.get('clamp_negative_weights', False) is nwc
    box_metrics = _box_metrics(cfg.test_evaluator)
    if name.endswith('openimages.py'):
        assert box_metrics == []  # PxAP only: no fixed threshold to change
        return
    assert len(box_metrics) == 1
    apply_box_rule(cfg)  # the config's top-level box_rule, as the tools
    box = METRICS.build(box_metrics[0]).box_rule
    if pas:
        assert (box.threshold, box.threshold_standard, box.percentile) == (
            0.35,
            'percentile',
            90,
        )
        assert cfg.val_evaluator.box_rule['threshold_standard'] == 'percentile'
    else:
        assert (box.threshold, box.threshold_standard) == (0.2, 'max')
    if name.endswith('synthetic.py'):
        # the PxAP metric of the synthetic test split is kept
        types = [e['type'] for e in cfg.test_evaluator]
        assert types == ['WSOLMetric', 'WSOLMaskMetric']


def test_all_configs_are_listed():
    import glob

    found = {osp.basename(p) for p in glob.glob(osp.join(CFG_DIR, '*.py'))}
    assert found == {r[0] for r in ROWS}
