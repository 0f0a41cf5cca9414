"""WSOLReportHook / tools/test.py --report: one static HTML page per run,
checked in a real headless browser (Debian's ``chromium``)."""

import json
import os
import os.path as osp
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from test_cam_visualization_hook import (  # noqa: F401  (fixture)
    data_root,
    fake_runner,
    gt_sample,
    tiny_cfg,
)

from mmwsol.engine.hooks import WSOLReportHook
from mmwsol.engine.hooks import report_hook as report_module
from mmwsol.engine.hooks.report_hook import (
    configure_report,
    per_class_accuracy,
)

SECTIONS = (
    'metrics',
    'curves',
    'per-class',
    'error-analysis',
    'best',
    'worst',
)


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get('MMWSOL_REQUIRE_CHROMIUM') == '1':  # .ci/run sets it
        pytest.fail('MMWSOL_REQUIRE_CHROMIUM=1 but no chromium on PATH')
    pytest.skip(
        'no chromium on PATH: install it (Debian: apt-get install -y '
        'chromium; .ci/run does) to check the report in a browser'
    )


def browse(page, *args):
    """Run headless chromium on a file; returns its stdout."""
    cmd = [
        chromium(),
        '--headless',
        '--no-sandbox',  # CI runs as root
        '--disable-gpu',
        # no network: a closed network otherwise costs failed look-ups
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
        '--user-data-dir=' + osp.join(osp.dirname(osp.abspath(page)), 'chr'),
        '--hide-scrollbars',
        '--virtual-time-budget=5000',
        *args,
        'file://' + osp.abspath(page),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_per_class_accuracy_by_hand():
    records = [
        dict(label=1, iou=0.5),  # localized: IoU >= 0.5
        dict(label=1, iou=0.49),
        dict(label=0, iou=0.9),
        dict(label=0, iou=None),  # no GT box: left out
        dict(label=1, iou=0.2),
    ]
    rows = per_class_accuracy(records, 0.5, ['cat', 'dog'])
    assert [r['name'] for r in rows] == ['cat', 'dog']
    assert [r['num'] for r in rows] == [1, 3]
    assert rows[0]['accuracy'] == 100.0
    assert rows[1]['accuracy'] == pytest.approx(100 / 3)
    assert rows[1]['mean_iou'] == pytest.approx((0.5 + 0.49 + 0.2) / 3)


def test_report_of_a_test_run_renders_in_chromium(data_root, tmp_path):  # noqa: F811
    cfg = tiny_cfg(data_root, str(tmp_path), dict(type='RNGStateHook'))
    cfg.custom_hooks = []
    cfg.test_evaluator = dict(
        type='WSOLMetric', topk=(1,), error_analysis=True
    )
    configure_report(cfg, 'report')
    assert cfg.test_evaluator.curves_file == osp.join(
        str(tmp_path), 'report', 'curves.json'
    )
    metrics = Runner.from_cfg(cfg).test()
    page = tmp_path / 'report' / 'report.html'
    samples = json.loads((tmp_path / 'report' / 'samples.json').read_text())
    assert len(samples['samples']) == 6
    rows = samples['per_class']
    assert [r['num'] for r in rows] == [2, 2, 2]
    # the per-class rows add up to the metric's own GT-known Loc
    total = sum(r['accuracy'] * r['num'] for r in rows) / 6
    assert total == pytest.approx(metrics['wsol/gt_known_loc'])
    html = page.read_text()
    assert 'src="http' not in html and 'href="http' not in html  # no net
    dom = browse(page, '--dump-dom')
    for sid in SECTIONS:
        assert f'id="{sid}"' in dom, sid
    body = re.search(r'<body[^>]*>', dom).group(0)
    ok = int(re.search(r'data-images-ok="(\d+)"', body).group(1))
    total = int(re.search(r'data-images-total="(\d+)"', body).group(1))
    assert total == 1 + 6 + 6  # curves, best 6, worst 6
    assert ok == total  # every image decoded, naturalWidth > 0
    shot = tmp_path / 'report.png'
    browse(page, '--window-size=1200,2400', f'--screenshot={shot}')
    import cv2

    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (2400, 1200)
    assert img.std() > 10  # not a blank page


def _feed(hook, runner, samples):
    hook.before_test_epoch(runner)
    for sample in samples:
        batch = dict(inputs=[torch.zeros(3, 16, 16, dtype=torch.uint8)])
        hook.after_test_iter(runner, 0, batch, [sample])


def test_distributed_report_equals_single_process(tmp_path, monkeypatch):
    boxes = [(0, 0, 7, 7), (0, 0, 7, 3), (0, 0, 3, 3), (8, 8, 15, 15)]
    samples = [gt_sample(i, boxes[i % 4], (0, 0, 7, 7)) for i in range(8)]
    single = WSOLReportHook(out_dir=str(tmp_path / 'single'), num_gallery=3)
    runner = fake_runner(tmp_path)
    runner.logger = type('L', (), {'info': staticmethod(print)})()
    _feed(single, runner, samples)
    single.after_test_epoch(runner, dict(acc=1.0))
    # two ranks, interleaved samples (as a distributed sampler deals them)
    ranks = [
        WSOLReportHook(out_dir=str(tmp_path / 'dist'), num_gallery=3)
        for _ in range(2)
    ]
    # rank 1 is padded with a repeat of sample 0, as DefaultSampler does
    dealt = [samples[0::2], samples[1::2] + [samples[0]]]
    for hook, part in zip(ranks, dealt):
        _feed(hook, runner, part)
    parts = [(h._records, h._best, h._worst) for h in ranks]
    monkeypatch.setattr(report_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(report_module, 'all_gather_object', lambda _: parts)
    ranks[0].after_test_epoch(runner, dict(acc=1.0))
    for name in ('samples.json', 'report.html'):
        a = (tmp_path / 'single' / name).read_text()
        b = (tmp_path / 'dist' / name).read_text()
        assert a.replace('single', 'dist') == b, name
    rows = json.loads((tmp_path / 'dist' / 'samples.json').read_text())
    ious = [r['iou'] for r in rows['samples']]
    # the box of a map block x0..x1 is [x0, y0, x1 + 1, y1 + 1]
    # (cv2.boundingRect's x + w, the wsolevaluation convention), against
    # GT [0, 0, 7, 7] (64 px): 64 / 81, 40 / 69, 25 / 64 and 0
    expected = [64 / 81, 40 / 69, 25 / 64, 0.0]
    assert ious == pytest.approx(expected * 2, abs=1e-6)
    assert rows['per_class'][0]['accuracy'] == pytest.approx(50.0)
    assert np.isclose(rows['per_class'][0]['mean_iou'], np.mean(expected))


def test_test_tool_report_and_show_order_options(tmp_path, monkeypatch):
    """``tools/test.py --report DIR --show-dir vis --show-order worst``:
    the report hook (with the config's box rule), the curves file of the
    box metric in DIR, the overlay hook drawing the worst."""
    import importlib.util
    import sys

    from mmengine.config import Config

    root = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
    spec = importlib.util.spec_from_file_location(
        'mmwsol_tools_test_report', osp.join(root, 'tools', 'test.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = osp.join(root, 'configs', 'spa', 'spa_tinynet_1xb32_synthetic.py')
    argv = ['test.py', config, 'none.pth', '--work-dir', str(tmp_path)]
    argv += ['--report', 'rep', '--show-dir', 'vis', '--show-order', 'worst']
    monkeypatch.setattr(sys, 'argv', argv)
    cfg = tool.merge_args(Config.fromfile(config), tool.parse_args())
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert hooks['CAMVisualizationHook']['order'] == 'worst'
    report = hooks['WSOLReportHook']
    assert report['out_dir'] == osp.join(str(tmp_path), 'rep')
    assert report['box_rule']['box_mode'] == 'union'  # SPA's rule
    evaluators = cfg.test_evaluator
    evaluators = [evaluators] if isinstance(evaluators, dict) else evaluators
    curves = [e.get('curves_file') for e in evaluators]
    assert osp.join(str(tmp_path), 'rep', 'curves.json') in curves
