"""``--cfg-options`` merging with a clear error for keys into lists."""

import pytest
from mmengine.config import Config

from mmwsol.utils import merge_cfg_options


def make_cfg():
    return Config(
        dict(
            test_evaluator=[
                dict(type='WSOLMetric', cam_curve_interval=0.01),
                dict(type='WSOLMaskMetric'),
            ],
            val_evaluator=dict(type='WSOLMetric', cam_curve_interval=0.01),
            train_cfg=dict(max_epochs=12),
        )
    )


def test_dict_and_indexed_list_keys_merge():
    cfg = make_cfg()
    merge_cfg_options(
        cfg,
        {
            'val_evaluator.cam_curve_interval': 0.001,
            'test_evaluator.0.cam_curve_interval': 0.001,
            'train_cfg.max_epochs': 3,
            'brand.new.key': 1,
        },
    )
    assert cfg.val_evaluator.cam_curve_interval == 0.001
    assert cfg.test_evaluator[0]['cam_curve_interval'] == 0.001
    assert cfg.test_evaluator[1] == dict(type='WSOLMaskMetric')
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.brand.new.key == 1


def test_named_key_into_a_list_is_a_clear_error():
    cfg = make_cfg()
    with pytest.raises(ValueError) as info:
        merge_cfg_options(cfg, {'test_evaluator.cam_curve_interval': 0.001})
    message = str(info.value)
    assert '`test_evaluator` is a list of 2 items' in message
    assert 'test_evaluator.0.cam_curve_interval' in message
    # nothing was merged
    assert cfg.test_evaluator[0]['cam_curve_interval'] == 0.01


def test_none_is_a_no_op():
    cfg = make_cfg()
    assert merge_cfg_options(cfg, None) is cfg
