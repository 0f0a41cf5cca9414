"""RAMStartHook: the RA loss is zero before ``ram_start``, on from it, and
right after resuming from a checkpoint taken before or after it."""

import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

from mmwsol.engine.hooks import RAMStartHook, ram_modules
from mmwsol.registry import MODELS
from mmwsol.utils import checkpoint_loading

RAM_START = 2
MAX_EPOCHS = 4


class _ToySet(Dataset):
    """8 random 16x16 images of 3 classes (no files, no augmentation)."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.images = torch.rand(8, 3, 16, 16, generator=g) * 255
        self.labels = [i % 3 for i in range(8)]

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(
            inputs=self.images[i],
            data_samples=DataSample().set_gt_label(self.labels[i]),
        )


class _Recorder(Hook):
    """Record ``(epoch, loss_ra)`` of every training iteration."""

    def __init__(self):
        self.records = []

    def after_train_iter(
        self, runner, batch_idx, data_batch=None, outputs=None
    ):
        self.records.append((runner.epoch, float(outputs['loss_ra'].detach())))


def _model_cfg():
    return dict(
        type='WSOLClassifier',
        backbone=dict(
            type='TinyWSOLNet', stage_channels=(4, 8, 8, 8), out_indices=(2, 3)
        ),
        head=dict(
            type='RAMHead',
            num_classes=3,
            in_channels=8,
            mid_channels=8,
            ra_loss=dict(
                type='RestrictedActivationLoss',
                tau=0.1,
                sigma=0.2,
                loss_weight=0.5,
            ),
            ram_start=RAM_START,
        ),
        localizer=dict(type='CAM'),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=3),
    )


def _runner(work_dir, recorder, resume_from=None, hook=True):
    return Runner(
        model=_model_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=_ToySet(),
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
        ),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        train_cfg=dict(by_epoch=True, max_epochs=MAX_EPOCHS),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=100),
        ),
        custom_hooks=([dict(type='RAMStartHook')] if hook else [])
        + [recorder],
        default_scope='mmwsol',
        randomness=dict(seed=0),
        load_from=resume_from,
        resume=resume_from is not None,
        log_level='WARNING',
        # runners built within one second would share the default name
        experiment_name=f'ram_start_{id(recorder)}',
    )


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    work = str(tmp_path_factory.mktemp('full'))
    recorder = _Recorder()
    _runner(work, recorder).train()
    return work, recorder.records


def test_loss_is_zero_before_ram_start_and_on_after(full_run):
    _, records = full_run
    assert [e for e, _ in records] == [0, 0, 1, 1, 2, 2, 3, 3]
    for epoch, loss_ra in records:
        if epoch < RAM_START:
            assert loss_ra == 0.0
        else:
            assert loss_ra > 0.0


@pytest.mark.parametrize('resume_epoch', [1, 3])
def test_resume_derives_state_from_epoch(full_run, tmp_path, resume_epoch):
    """Resume from a checkpoint before (1) / after (3) ``ram_start``."""
    work, full = full_run
    recorder = _Recorder()
    runner = _runner(
        str(tmp_path),
        recorder,
        resume_from=osp.join(work, f'epoch_{resume_epoch}.pth'),
    )
    head = runner.model.head
    # a stale state must not leak in: the hook sets it from runner.epoch
    head.set_epoch(99 if resume_epoch < RAM_START else 0)
    # a Runner built by hand resumes inside mmwsol's allow-list, as
    # tools/train.py does (weights_only=True loads)
    with checkpoint_loading():
        runner.train()
    expected = [r for r in full if r[0] >= resume_epoch]
    assert [e for e, _ in recorder.records] == [e for e, _ in expected]
    for (epoch, ours), (_, ref) in zip(recorder.records, expected):
        assert (ours == 0.0) == (epoch < RAM_START)
        assert ours == pytest.approx(ref, rel=1e-4, abs=1e-6)


def test_without_hook_the_loss_stays_off_with_a_late_start(tmp_path):
    recorder = _Recorder()
    _runner(str(tmp_path), recorder, hook=False).train()
    assert all(loss_ra == 0.0 for _, loss_ra in recorder.records)


def test_hook_needs_a_ram_module():
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(type='TinyWSOLNet', stage_channels=(4, 8, 8, 8)),
            head=dict(type='CAMHead', num_classes=3, in_channels=8),
        )
    )
    assert ram_modules(model) == []

    class _FakeRunner:
        epoch = 0

    runner = _FakeRunner()
    runner.model = model
    with pytest.raises(RuntimeError, match='RAMHead'):
        RAMStartHook().before_train(runner)
    RAMStartHook(strict=False).before_train(runner)
