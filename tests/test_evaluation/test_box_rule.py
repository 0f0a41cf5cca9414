"""BoxRule: the one home of the fixed-threshold box settings."""

import numpy as np
import pytest

from mmwsol.evaluation import BoxRule, WSOLMetric
from mmwsol.registry import HOOKS


def test_defaults_are_the_cam_convention():
    rule = BoxRule()
    assert rule.to_dict() == dict(
        threshold=0.2,
        threshold_standard='max',
        percentile=90.0,
        box_mode='largest',
    )
    assert BoxRule.from_cfg(None) == rule
    assert BoxRule.from_cfg({}) == rule
    assert BoxRule.from_cfg(dict(threshold=0.35)) == BoxRule(threshold=0.35)


@pytest.mark.parametrize(
    'cfg, match',
    [
        (dict(threshold=-0.1), r'box_rule\.threshold'),
        (dict(threshold='0.2'), r'box_rule\.threshold'),
        (dict(percentile=101), r'box_rule\.percentile'),
        (dict(threshold_standard='mean'), r'box_rule\.threshold_standard'),
        (dict(box_mode='biggest'), r'box_rule\.box_mode'),
        (dict(loc_box_mode='all'), r"unknown key\(s\) \['loc_box_mode'\]"),
    ],
)
def test_bad_settings_name_the_field(cfg, match):
    with pytest.raises((ValueError, TypeError), match=match):
        BoxRule.from_cfg(cfg)


def test_not_a_dict():
    with pytest.raises(TypeError, match='box_rule must be a dict'):
        BoxRule.from_cfg(0.2)


def test_replace_ignores_none():
    rule = BoxRule(threshold=0.35)
    assert rule.replace(threshold=None, box_mode='all') == BoxRule(
        threshold=0.35, box_mode='all'
    )
    assert rule.replace() is rule


def _two_blobs() -> np.ndarray:
    """A big blob (value 1.0) and a small one (0.5), hand-placed."""
    cam = np.zeros((40, 60), np.float32)
    cam[5:25, 5:30] = 1.0  # rows 5..24, cols 5..29
    cam[30:35, 40:50] = 0.5  # rows 30..34, cols 40..49
    return cam


def test_boxes_follow_the_rule():
    cam = _two_blobs()
    # x1 = x + w, y1 = y + h of the contour's rectangle (the protocol)
    big, small = [5, 5, 30, 25], [40, 30, 50, 35]
    assert BoxRule().boxes(cam).tolist() == [big]
    assert sorted(BoxRule(box_mode='all').boxes(cam).tolist()) == sorted(
        [big, small]
    )
    assert BoxRule(box_mode='union').boxes(cam).tolist() == [[5, 5, 50, 35]]
    # level int(0.6 * 255) = 153 > 127 (the small blob's uint8 value)
    assert BoxRule(threshold=0.6, box_mode='all').boxes(cam).tolist() == [big]


def test_metric_and_hook_take_the_rule():
    rule = dict(threshold=0.35, threshold_standard='percentile')
    metric = WSOLMetric(box_rule=rule)
    assert metric.box_rule == BoxRule(**rule)
    assert metric.loc_box_mode == 'largest'
    hook = HOOKS.build(dict(type='CAMVisualizationHook', box_rule=rule))
    assert hook.box_rule == BoxRule(**rule)
    with pytest.raises(ValueError, match=r'box_rule\.box_mode'):
        WSOLMetric(box_rule=dict(box_mode='biggest'))
