"""apply_box_rule: a config's one box rule reaches every metric and hook."""

import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmwsol.evaluation.box_rule import BoxRule
from mmwsol.registry import HOOKS, METRICS
from mmwsol.utils import apply_box_rule, merge_cfg_options

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
PAS = osp.join(
    ROOT,
    'configs',
    'rethinking_cam',
    'rethinking-cam_tinynet_1xb32_synthetic.py',
)
CAM = osp.join(ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py')


def _cfg(**top) -> Config:
    cfg = dict(
        default_scope='mmwsol',
        val_evaluator=dict(type='WSOLMetric'),
        test_evaluator=[
            dict(type='WSOLMetric', box_mode='largest'),
            dict(type='WSOLMaskMetric'),
            dict(type='Accuracy'),
        ],
        custom_hooks=[
            dict(type='CAMVisualizationHook'),
            dict(type='RNGStateHook'),
        ],
    )
    cfg.update(top)
    return Config(cfg)


def test_rule_reaches_metrics_and_hooks_by_signature():
    cfg = _cfg(box_rule=dict(threshold=0.5, box_mode='union'))
    rule = apply_box_rule(cfg)
    assert rule == BoxRule(threshold=0.5, box_mode='union')
    full = rule.to_dict()
    assert cfg.val_evaluator.box_rule == full
    assert cfg.test_evaluator[0].box_rule == full
    # the sweep's box_mode is the metric's own, untouched
    assert cfg.test_evaluator[0].box_mode == 'largest'
    # classes without a box_rule argument are left alone
    assert 'box_rule' not in cfg.test_evaluator[1]
    assert 'box_rule' not in cfg.test_evaluator[2]
    assert cfg.custom_hooks[0].box_rule == full
    assert 'box_rule' not in cfg.custom_hooks[1]
    assert cfg.box_rule == full
    metric = METRICS.build(cfg.test_evaluator[0])
    hook = HOOKS.build(cfg.custom_hooks[0])
    assert metric.box_rule == hook.box_rule == rule


def test_evaluator_with_metrics_list():
    cfg = _cfg(box_rule=dict(threshold=0.3))
    cfg.test_evaluator = dict(
        type='Evaluator', metrics=[dict(type='WSOLMetric')]
    )
    apply_box_rule(cfg)
    assert cfg.test_evaluator.metrics[0].box_rule['threshold'] == 0.3


def test_absent_rule_gives_the_defaults():
    cfg = _cfg()
    apply_box_rule(cfg)
    assert cfg.test_evaluator[0].box_rule == BoxRule().to_dict()


@pytest.mark.parametrize(
    'where, key, value',
    [
        ('val_evaluator', 'threshold', 0.35),
        ('val_evaluator', 'loc_box_mode', 'union'),
        ('val_evaluator', 'threshold_standard', 'percentile'),
        ('hook', 'box_mode', 'all'),
        ('hook', 'percentile', 80),
    ],
)
def test_old_per_component_keys_are_an_error(where, key, value):
    cfg = _cfg()
    node = cfg.val_evaluator if where == 'val_evaluator' else None
    if node is None:
        node = cfg.custom_hooks[0]
    node[key] = value
    name = 'val_evaluator' if where == 'val_evaluator' else 'custom_hooks.0'
    field = 'box_mode' if key == 'loc_box_mode' else key
    with pytest.raises(ValueError) as info:
        apply_box_rule(cfg)
    message = str(info.value)
    assert f'`{name}.{key}`' in message
    assert f'box_rule = dict({field}={value!r})' in message


def test_conflicting_component_rule_is_an_error():
    cfg = _cfg(box_rule=dict(threshold=0.3))
    cfg.test_evaluator[0].box_rule = dict(threshold=0.4)
    with pytest.raises(ValueError, match=r'test_evaluator\.0\.box_rule'):
        apply_box_rule(cfg)
    # the same rule, spelt out, is fine
    cfg.test_evaluator[0].box_rule = dict(threshold=0.3)
    apply_box_rule(cfg)


def test_bad_top_level_rule_names_the_file_and_field():
    cfg = Config.fromfile(CAM)
    cfg.box_rule = dict(threshold_standard='median')
    with pytest.raises(ValueError, match=r'cam_tinynet.*box_rule\.thre'):
        apply_box_rule(cfg)


def _test_tool():
    spec = importlib.util.spec_from_file_location(
        'mmwsol_tools_test_box_rule', osp.join(ROOT, 'tools', 'test.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_cfg_option_changes_metric_overlays_and_api_together(
    tmp_path, monkeypatch
):
    """``tools/test.py --show-dir ... --cfg-options box_rule.threshold=0.3``
    on the PaS config: the metric, the overlay hook and the inferencer get
    0.3 with the config's percentile standard."""
    tool = _test_tool()
    argv = [
        'test.py',
        PAS,
        'none.pth',
        '--work-dir',
        str(tmp_path),
        '--show-dir',
        'vis',
        '--cfg-options',
        'box_rule.threshold=0.3',
    ]
    monkeypatch.setattr(sys, 'argv', argv)
    cfg = tool.merge_args(Config.fromfile(PAS), tool.parse_args())
    expected = BoxRule(threshold=0.3, threshold_standard='percentile')
    metric = METRICS.build(cfg.test_evaluator[0])
    hooks = [
        HOOKS.build(h)
        for h in cfg.custom_hooks
        if h['type'] == 'CAMVisualizationHook'
    ]
    assert metric.box_rule == expected
    assert [h.box_rule for h in hooks] == [expected]
    assert BoxRule.from_cfg(cfg.box_rule) == expected
    # the inferencer (API, tools/localize.py) with the same option
    from mmwsol.apis import WSOLInferencer

    with pytest.warns(UserWarning, match='random weights'):
        api = WSOLInferencer(PAS, cfg_options={'box_rule.threshold': 0.3})
    assert api.box_rule == expected


def test_cfg_option_creates_the_rule():
    cfg = Config.fromfile(CAM)
    merge_cfg_options(cfg, {'box_rule.box_mode': 'all'})
    apply_box_rule(cfg)
    assert cfg.val_evaluator.box_rule['box_mode'] == 'all'
    assert cfg.val_evaluator.box_rule['threshold'] == 0.2


def test_old_key_in_test_tool_is_a_clear_exit(tmp_path, monkeypatch):
    tool = _test_tool()
    argv = [
        'test.py',
        CAM,
        'none.pth',
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        'test_evaluator.0.threshold=0.3',
    ]
    monkeypatch.setattr(sys, 'argv', argv)
    with pytest.raises(SystemExit, match=r'test_evaluator\.0\.threshold'):
        tool.merge_args(Config.fromfile(CAM), tool.parse_args())
