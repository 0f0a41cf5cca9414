"""Tests of WSOLMetric's invalid maps (NaN / inf or flagged by the
model): counted, warned about and evaluated as empty maps."""

import os.path as osp
from unittest import mock

import pytest
import torch
from wsol_metric_utils import block_samples, evaluate

from mmwsol.evaluation import WSOLMetric


def test_invalid_maps_are_counted_and_evaluated_as_empty():
    samples = block_samples()
    samples[1]['gt_cam'][0, 0] = float('nan')  # one NaN pixel
    samples[2]['gt_cam'][15, 15] = float('inf')
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), samples)
    assert result['wsol/invalid_maps'] == 2
    # the two invalid maps are all-zero maps: no box, not localized
    assert result['wsol/gt_known_loc'] == pytest.approx(100 / 3)
    assert result['wsol/MaxBoxAccV2'] == pytest.approx(100 / 3)
    (message,), kwargs = log.call_args
    assert kwargs['level'] == 30
    assert '2 of 3' in message and 'nan.jpg, inf.jpg' in message


def test_flagged_maps_are_invalid():
    samples = block_samples()
    # the model's flag: the raw map held NaN, the stored map is zeros
    samples[0]['gt_cam'] = torch.zeros(16, 16)
    samples[0]['gt_cam_valid'] = False
    samples[1]['gt_cam_valid'] = torch.tensor(True)
    samples[2]['gt_cam_valid'] = torch.tensor(False)
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), samples)
    assert result['wsol/invalid_maps'] == 2
    # a flagged map is evaluated as zeros even if its values are finite
    assert result['wsol/gt_known_loc'] == pytest.approx(100 / 3)
    assert 'ok.jpg, inf.jpg' in log.call_args[0][0]


def test_no_warning_without_invalid_maps():
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), block_samples())
    assert result['wsol/invalid_maps'] == 0
    log.assert_not_called()


def test_invalid_maps_distributed():
    samples = [s for _ in range(3) for s in block_samples()]
    for sample in samples[::2]:
        sample['gt_cam'][3, 3] = float('nan')
    single = evaluate(WSOLMetric(), samples)
    parts = []
    for rank in range(2):
        metric = WSOLMetric()
        metric.process(None, samples[rank::2])
        parts.append(metric.results)
    gathered = [e for group in zip(*parts) for e in group] + parts[0][4:]
    metrics = WSOLMetric().compute_metrics(gathered)
    assert metrics['invalid_maps'] == single['wsol/invalid_maps'] == 5
    assert {f'wsol/{k}': v for k, v in metrics.items()} == single


def test_model_flag_reaches_the_metric():
    """End to end: a class whose weights hold inf gives the classifier's
    ``gt_cam_valid=False`` (and a zero map); the metric counts it."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    from mmwsol.registry import MODELS

    init_default_scope('mmwsol')
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(root, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py')
    )
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        model.head.fc.weight[2, 0] = float('inf')
    inputs = (torch.rand(2, 3, 64, 64) * 255).to(torch.uint8)
    samples = [
        DataSample(
            metainfo=dict(ori_shape=(64, 64), img_path=f'{c}.png')
        ).set_gt_label(c)
        for c in (2, 1)
    ]
    outputs = model.test_step(dict(inputs=list(inputs), data_samples=samples))
    metric = WSOLMetric()
    for output in outputs:
        sample = output.to_dict()
        sample['ori_gt_bboxes'] = torch.tensor([[8.0, 8.0, 40.0, 40.0]])
        metric.process(None, [sample])
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = metric.evaluate(2)
    assert result['wsol/invalid_maps'] == 1
    assert '2.png' in log.call_args[0][0]
