"""Smoke runs of the benchmark scripts (tiny sizes, CPU) and the checks of
tools/benchmarks/gpu_check.py."""

import importlib.util
import json
import math
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _script(name):
    spec = importlib.util.spec_from_file_location(
        f'mmwsol_bench_{name}', osp.join(ROOT, 'tools', 'benchmarks', name)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_localizer_speed_prints_both_scenarios(tmp_path, capsys):
    bench = _script('localizer_speed.py')
    out = tmp_path / 'loc.json'
    bench.main(
        [
            '--size', '32', '--batch-size', '2', '--rounds', '1',
            '--num-classes', '8', '--topk', '3', '--before', '--device',
            'cpu', '--localizers', 'PCS', '--json', str(out),
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert 'GT map' in text and 'GT + top-3' in text
    results = json.loads(out.read_text())['results']
    assert set(results) == {'GT map', 'GT + top-3'}
    for rows in results.values():
        assert list(rows) == ['forward', 'CAM', 'PCS', 'PCS [before]']
        assert rows['CAM']['x_cam'] == 1.0
        assert all(r['ms'] > 0 for r in rows.values())


def test_localizer_speed_ts_cam_row_and_ratio_to_forward(tmp_path, capsys):
    bench = _script('localizer_speed.py')
    out = tmp_path / 'ts.json'
    bench.main(
        [
            '--arch', 'deit-t', '--size', '32', '--batch-size', '2',
            '--rounds', '1', '--num-classes', '4', '--topk', '1',
            '--device', 'cpu', '--localizers', '--json', str(out),
        ]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert 'GT map: x forward (predict without maps): forward 1.000' in text
    results = json.loads(out.read_text())['results']
    for rows in results.values():
        assert list(rows) == ['forward', 'CAM', 'TSCAM']
        assert all(r['ms'] > 0 for r in rows.values())


def test_train_speed_compares_with_mmpretrain(tmp_path):
    bench = _script('train_speed.py')
    out = tmp_path / 'train.json'
    bench.main(
        [
            '--arch', 'tinynet', '--size', '32', '--batch-size', '2',
            '--iters', '1', '--rounds', '1', '--num-classes', '4',
            '--device', 'cpu', '--json', str(out),
        ]
    )  # fmt: skip
    results = json.loads(out.read_text())['results']
    assert set(results) == {'wsol-cam', 'mmpretrain'}
    assert results['mmpretrain']['time_x_mmpretrain'] == 1.0
    for entry in results.values():
        assert entry['images_per_s'] > 0
        assert math.isfinite(entry['last_loss'])


def test_gpu_check_loss_and_metric_checks():
    check = _script('gpu_check.py')
    ok = check.loss_decreases([2.0, 1.9, 2.1, 1.5, 1.2, 1.0])
    assert ok['ok'] and ok['first'] == pytest.approx(1.95)
    assert ok['last'] == pytest.approx(1.1)
    assert not check.loss_decreases([1.0, 1.1, 1.2])['ok']
    nan = check.loss_decreases([2.0, float('nan'), 1.0])
    assert not nan['finite'] and not nan['ok']
    assert not check.loss_decreases([])['ok']
    a = {'wsol/MaxBoxAccV2': 60.0, 'wsol/PxAP': 50.0, 'name': 'x'}
    b = {'wsol/MaxBoxAccV2': 60.2, 'wsol/PxAP': 49.0, 'name': 'y'}
    cmp = check.compare_metrics(a, b, tol=0.5)
    assert cmp['worst'] == 'wsol/PxAP' and not cmp['ok']
    assert cmp['max_diff'] == pytest.approx(1.0)
    assert check.compare_metrics(a, a, tol=0.0)['ok']
