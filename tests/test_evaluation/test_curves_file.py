"""One curves file per run: box and mask metrics pointing at one file."""

import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from wsol_metric_utils import random_samples

from mmwsol.evaluation import WSOLMaskMetric, WSOLMetric

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def samples_with_masks(seed=3, num=6):
    """Random box samples plus a mask: the map's upper half is foreground."""
    rng = np.random.default_rng(seed)
    samples = random_samples(rng, num)
    for sample in samples:
        cam = np.asarray(sample['gt_cam'])
        mask = np.zeros(cam.shape[-2:], np.uint8)
        mask[: mask.shape[0] // 2] = 1
        sample['gt_mask'] = mask
    return samples


def run(metrics, samples):
    evaluator = Evaluator(metrics)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def read(path):
    with open(path) as f:
        return json.load(f)


def alone(tmp_path, kind, samples):
    """The curves a metric writes on its own (the reference)."""
    path = str(tmp_path / f'alone_{kind}.json')
    metric = (
        WSOLMetric(curves_file=path, prefix='b')
        if kind == 'box'
        else WSOLMaskMetric(curves_file=path, prefix='m')
    )
    run([metric], samples)
    return read(path)


@pytest.mark.parametrize('mask_first', [False, True])
def test_box_and_mask_metrics_share_one_file(tmp_path, mask_first):
    samples = samples_with_masks()
    path = str(tmp_path / 'run' / 'curves.json')
    metrics = [
        WSOLMetric(curves_file=path, prefix='b'),
        WSOLMaskMetric(curves_file=path, prefix='m'),
    ]
    run(metrics[::-1] if mask_first else metrics, samples)
    data = read(path)
    assert list(data) == ['box', 'mask']
    assert data['box'] == alone(tmp_path, 'box', samples)
    assert data['mask'] == alone(tmp_path, 'mask', samples)
    # the plot tool draws both panels from the one file
    spec = importlib.util.spec_from_file_location(
        '_plot_curves', osp.join(ROOT, 'tools', 'analysis', 'plot_curves.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = str(tmp_path / 'curves.png')
    tool.main([path, '--out', out, '--dpi', '50'])
    assert cv2.imread(out).shape[:2] == (240, 640)  # 2 panels of 320 x 240


def test_a_single_metric_writes_flat_curves_and_drops_stale_parts(tmp_path):
    samples = samples_with_masks()
    path = tmp_path / 'curves.json'
    path.write_text(json.dumps({'box': {'stale': 1}, 'mask': {'stale': 1}}))
    run([WSOLMaskMetric(curves_file=str(path))], samples)
    data = read(path)
    assert 'box' not in data and 'precision' in data  # this run's mask only


def test_two_box_metrics_on_one_file_warn(tmp_path):
    samples = samples_with_masks()
    path = str(tmp_path / 'curves.json')
    metrics = [
        WSOLMetric(curves_file=path, prefix='a'),
        WSOLMetric(curves_file=path, prefix='b', iou_thresholds=(50,)),
    ]
    with pytest.warns(UserWarning, match='two box metrics write it'):
        run(metrics, samples)
    assert read(path)['iou_thresholds'] == [50.0]
