"""A top-level config key that nothing reads is reported (the tools warn)."""

import glob
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmwsol.utils.launch import unknown_config_keys, warn_unknown_config_keys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
)


def test_misspelt_key_names_the_closest_known_key():
    cfg = Config(
        dict(
            model=dict(type='X'),
            test_evaluatr=dict(type='M'),
            trian_cfg=dict(max_epochs=1),
            my_scale=3,
            _private=1,
        )
    )
    assert unknown_config_keys(cfg) == [
        ('test_evaluatr', 'test_evaluator'),
        ('trian_cfg', 'train_cfg'),
        ('my_scale', ''),
    ]
    messages = warn_unknown_config_keys(cfg)
    assert 'did you mean `test_evaluator`?' in messages[0]
    assert '`my_scale`' in messages[2] and 'did you mean' not in messages[2]


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_no_shipped_config_has_an_unknown_key(path):
    assert unknown_config_keys(Config.fromfile(path)) == []


def _tool(name):
    """Import tools/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(
        f'mmwsol_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    'tool, extra', [('train', []), ('test', ['missing.pth'])]
)
def test_tools_warn_about_unknown_keys(
    tool, extra, monkeypatch, capsys, tmp_path
):
    module = _tool(tool)
    argv = (
        [f'{tool}.py', DEMO_CONFIG]
        + extra
        + ['--work-dir', str(tmp_path), '--cfg-options', 'test_evaluatr.a=1']
    )
    monkeypatch.setattr('sys.argv', argv)
    args = module.parse_args()
    MMLogger.get_instance(f'test_unknown_keys_{tool}')  # logs to capsys
    module.merge_args(Config.fromfile(DEMO_CONFIG), args)
    out = capsys.readouterr().out
    assert 'config key `test_evaluatr` is not read' in out
    assert 'did you mean `test_evaluator`?' in out
    # the shipped config alone: no warning
    monkeypatch.setattr('sys.argv', argv[:-2])
    module.merge_args(Config.fromfile(DEMO_CONFIG), module.parse_args())
    assert 'is not read' not in capsys.readouterr().out
