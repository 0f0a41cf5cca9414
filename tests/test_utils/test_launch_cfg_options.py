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


def test_named_key_into_a_list_goes_to_every_metric_that_takes_it():
    """README's ``test_evaluator.curves_file=...`` on a list evaluator."""
    cfg = make_cfg()
    merge_cfg_options(
        cfg,
        {
            # both metrics take these
            'test_evaluator.curves_file': 'work_dirs/x/curves.json',
            'test_evaluator.cam_curve_interval': 0.001,
            # only WSOLMetric takes box_mode / box_rule
            'test_evaluator.box_mode': 'largest',
            'test_evaluator.box_rule.threshold': 0.3,
        },
    )
    assert cfg.test_evaluator[0] == dict(
        type='WSOLMetric',
        cam_curve_interval=0.001,
        curves_file='work_dirs/x/curves.json',
        box_mode='largest',
        box_rule=dict(threshold=0.3),
    )
    assert cfg.test_evaluator[1] == dict(
        type='WSOLMaskMetric',
        cam_curve_interval=0.001,
        curves_file='work_dirs/x/curves.json',
    )


def test_named_key_no_item_takes_is_a_clear_error():
    cfg = make_cfg()
    with pytest.raises(ValueError) as info:
        merge_cfg_options(
            cfg,
            {
                'test_evaluator.cam_curve_interval': 0.001,
                'test_evaluator.curve_interval': 0.001,  # a typo
            },
        )
    message = str(info.value)
    assert message.startswith('--cfg-options test_evaluator.curve_interval:')
    assert 'none of them takes `curve_interval`' in message
    assert 'test_evaluator.0: WSOLMetric' in message
    assert 'test_evaluator.1: WSOLMaskMetric' in message
    assert 'test_evaluator.0.curve_interval' in message
    # nothing was merged, not even the valid key
    assert cfg.test_evaluator[0]['cam_curve_interval'] == 0.01


def test_named_key_into_a_list_of_plain_values_is_a_clear_error():
    cfg = Config(dict(model=dict(head=dict(topk=[1, 5]))))
    with pytest.raises(ValueError, match=r'model\.head\.topk\.0\.first'):
        merge_cfg_options(cfg, {'model.head.topk.first': 2})


def test_index_form_and_class_types_still_work():
    from mmwsol.evaluation import WSOLMaskMetric

    cfg = Config(
        dict(test_evaluator=[dict(type=WSOLMaskMetric), dict(type='Nope')])
    )
    merge_cfg_options(
        cfg,
        {
            'test_evaluator.classification': False,
            # the index form sets any field, known or not
            'test_evaluator.1.anything': 1,
        },
    )
    assert cfg.test_evaluator[0]['classification'] is False
    assert 'classification' not in cfg.test_evaluator[1]
    assert cfg.test_evaluator[1]['anything'] == 1


def test_none_is_a_no_op():
    cfg = make_cfg()
    assert merge_cfg_options(cfg, None) is cfg
