"""``tools/test.py`` asks for the predicted-class maps only when ``--out``
dumps the predictions (issue #13.9)."""

import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py')


def _test_tool():
    spec = importlib.util.spec_from_file_location(
        'mmwsol_tools_test_topk_maps', osp.join(ROOT, 'tools', 'test.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


@pytest.mark.parametrize(
    'extra, topk',
    [
        ([], 0),  # the metrics: GT map only
        (['--out', 'm.json'], 0),  # --out-item metrics
        (['--show-dir', 'vis'], 0),  # overlays draw the GT map
        (['--out', 'p.pkl', '--out-item', 'pred'], 5),
        (
            ['--out', 'p.pkl', '--out-item', 'pred']
            + ['--cfg-options', 'model.topk_maps=2'],
            2,
        ),
    ],
)
def test_topk_maps_follow_the_command_line(extra, topk, tmp_path, monkeypatch):
    tool = _test_tool()
    argv = ['test.py', CONFIG, 'none.pth', '--work-dir', str(tmp_path)]
    monkeypatch.setattr(sys, 'argv', argv + extra)
    cfg = tool.merge_args(Config.fromfile(CONFIG), tool.parse_args())
    assert cfg.model.topk_maps == topk
