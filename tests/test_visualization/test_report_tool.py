"""tools/analysis/report.py: the HTML page from a finished run's files."""

import importlib.util
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from test_curves import box_curves, mask_curves

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def report_tool():
    path = osp.join(ROOT, 'tools', 'analysis', 'report.py')
    spec = importlib.util.spec_from_file_location('_report_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_from_run_files(tmp_path):
    metrics = {'wsol/gt_known_loc': 40.0, 'wsol/err_more': 12.5}
    (tmp_path / 'metrics.json').write_text(json.dumps(metrics))
    (tmp_path / 'curves.json').write_text(
        json.dumps({'box': box_curves(), 'mask': mask_curves()})
    )
    rows = [dict(name='cat', label=0, num=4, accuracy=25.0, mean_iou=0.3)]
    (tmp_path / 'samples.json').write_text(json.dumps({'per_class': rows}))
    best = tmp_path / 'best'
    best.mkdir()
    for i in range(3):
        img = np.full((40, 50, 3), 60 * i, np.uint8)
        cv2.imwrite(str(best / f'best{i:02d}_im{i}.png'), img)
    (best / 'notes.txt').write_text('not an image')
    out = str(tmp_path / 'page' / 'report.html')
    report_tool().main(
        [
            '--metrics',
            str(tmp_path / 'metrics.json'),
            '--curves',
            str(tmp_path / 'curves.json'),
            '--samples',
            str(tmp_path / 'samples.json'),
            '--best',
            str(best),
            '--out',
            out,
        ]
    )
    page = open(out).read()
    for sid in ('metrics', 'curves', 'per-class', 'error-analysis', 'best'):
        assert f'id="{sid}"' in page
    # curves + 3 overlays, embedded; galleries in file-name order
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 4
    assert page.index('best00_im0') < page.index('best02_im2')
    assert 'More' in page and '12.50' in page


def test_missing_metrics_file_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match='metrics file not found'):
        report_tool().main(
            ['--metrics', str(tmp_path / 'no.json'), '--out', 'x.html']
        )
