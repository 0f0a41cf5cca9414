"""Schedules survive any max_epochs >= 1 (tools/train.py)."""

import glob
import os.path as osp
import sys
from copy import deepcopy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS

from mmwsol.utils.launch import fit_param_schedulers

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'test_tools'))
from tools_utils import DEMO_CONFIG, ROOT, run_tool  # noqa: E402

CONFIGS = sorted(
    path
    for path in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True
    )
    if '_base_' not in path
)
DEMO_SCHEDULE = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        T_max=11,
        eta_min=1e-4,
    ),
]


def lr_per_iteration(schedulers, max_epochs, epoch_length=3, lr=0.05):
    """Build schedulers as MMEngine's Runner does (a missing ``end`` is the
    training length) and step them as its ParamSchedulerHook does."""
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    param = torch.nn.Parameter(torch.zeros(1))
    optim = OptimWrapper(torch.optim.SGD([param], lr=lr))
    built = []
    for cfg in deepcopy(list(schedulers)):
        cfg.setdefault('end', max_epochs)
        built.append(
            PARAM_SCHEDULERS.build(
                cfg,
                default_args=dict(optimizer=optim, epoch_length=epoch_length),
            )
        )
    lrs = []
    for _ in range(max_epochs):
        for _ in range(epoch_length):
            lrs.append(optim.param_groups[0]['lr'])
            optim.step()  # no gradient: changes nothing
            for scheduler in built:
                if not scheduler.by_epoch:
                    scheduler.step()
        for scheduler in built:
            if scheduler.by_epoch:
                scheduler.step()
    return lrs


def test_demo_schedule_one_epoch_leaves_out_the_cosine_only():
    cfg = Config(
        dict(
            param_scheduler=deepcopy(DEMO_SCHEDULE),
            train_cfg=dict(by_epoch=True, max_epochs=1),
        )
    )
    with pytest.raises(ValueError, match='end should be larger than begin'):
        lr_per_iteration(cfg.param_scheduler, max_epochs=1)  # MMEngine
    messages = fit_param_schedulers(cfg)
    assert len(messages) == 1
    assert 'param_scheduler[1] (CosineAnnealingLR, begin=1)' in messages[0]
    assert 'max_epochs=1' in messages[0]
    assert [s['type'] for s in cfg.param_scheduler] == ['LinearLR']
    # warm-up from 0.1 x lr to lr over the 3 iterations (MMEngine's LinearLR
    # reaches the end factor at the last one): 0.1 + 0.9 k / 2
    expected = [0.005, 0.0275, 0.05]
    assert lr_per_iteration(cfg.param_scheduler, 1) == pytest.approx(expected)
    # and the cosine, given an end MMEngine accepts, would not have acted
    explicit = deepcopy(DEMO_SCHEDULE)
    explicit[1]['end'] = 12
    assert lr_per_iteration(explicit, 1) == pytest.approx(expected)


@pytest.mark.parametrize('max_epochs', [2, 12])
def test_schedules_that_act_are_untouched(max_epochs):
    cfg = Config(
        dict(
            param_scheduler=deepcopy(DEMO_SCHEDULE),
            train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        )
    )
    assert fit_param_schedulers(cfg) == []
    assert cfg.param_scheduler == DEMO_SCHEDULE


def test_explicit_end_other_units_and_optimizer_dicts():
    late = dict(type='StepLR', by_epoch=True, begin=3, step_size=1)
    explicit = dict(late, end=9)
    iters = dict(type='LinearLR', by_epoch=False, begin=500, start_factor=0.1)
    cfg = Config(
        dict(
            param_scheduler=dict(
                generator=[late, explicit, iters], discriminator=dict(late)
            ),
            train_cfg=dict(by_epoch=True, max_epochs=3),
        )
    )
    messages = fit_param_schedulers(cfg)
    assert len(messages) == 2
    assert messages[0].startswith('param_scheduler.generator[0] (StepLR')
    assert messages[1].startswith('param_scheduler.discriminator (StepLR')
    # an explicit end is kept (MMEngine accepts it), iterations are not
    # compared with epochs
    assert cfg.param_scheduler.generator == [explicit, iters]
    assert cfg.param_scheduler.discriminator == []
    # an iteration-based loop compares iterations
    cfg = Config(
        dict(
            param_scheduler=[iters],
            train_cfg=dict(by_epoch=False, max_iters=400),
        )
    )
    assert 'max_iters=400' in fit_param_schedulers(cfg)[0]
    assert cfg.param_scheduler == []


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.basename(p))
def test_every_shipped_schedule_builds_for_any_epoch_count(path):
    cfg = Config.fromfile(path)
    full = cfg.train_cfg.max_epochs
    for max_epochs in sorted({1, 2, 3, full}):
        short = Config(
            dict(
                param_scheduler=deepcopy(cfg.param_scheduler),
                train_cfg=dict(cfg.train_cfg, max_epochs=max_epochs),
            )
        )
        fit_param_schedulers(short)
        lrs = lr_per_iteration(short.param_scheduler, max_epochs)
        assert len(lrs) == 3 * max_epochs


def test_demo_trains_one_epoch(tmp_path):
    """The crash of #12: `--cfg-options train_cfg.max_epochs=1` on the
    demo config."""
    from mmwsol.synthetic import generate_synthetic_dataset

    data = str(tmp_path / 'data')
    generate_synthetic_dataset(
        data,
        num_classes=6,
        num_train=1,
        num_val=1,
        num_test=1,
        image_size=48,
        seed=1,
    )
    work = str(tmp_path / 'work')
    out = run_tool(
        [
            'tools/train.py',
            DEMO_CONFIG,
            '--work-dir',
            work,
            '--no-validate',
            '--cfg-options',
            'train_cfg.max_epochs=1',
            f'train_dataloader.dataset.data_root={data}',
            f'train_dataloader.dataset.classes={data}/classes.txt',
        ]
    )
    assert 'param_scheduler[1] (CosineAnnealingLR, begin=1)' in out
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
