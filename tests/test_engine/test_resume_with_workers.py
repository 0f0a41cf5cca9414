"""Resume is exact with data-loading workers (tools/train.py, CPU)."""

import os.path as osp
import sys

import pytest
import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'test_tools'))
from tools_utils import load_state, run_tool, write_tiny_config  # noqa: E402

# two workers, persistent as the tools set them; three iterations an epoch
WORKERS = ['train_dataloader.num_workers=2', 'train_dataloader.batch_size=2']


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    from mmwsol.synthetic import generate_synthetic_dataset

    root = tmp_path_factory.mktemp('resume_workers')
    data = str(root / 'data')
    generate_synthetic_dataset(
        data,
        num_classes=3,
        num_train=2,  # per class
        num_val=1,
        num_test=1,
        image_size=48,
        seed=3,
    )
    return dict(root=root, cfg=write_tiny_config(str(root / 'cam.py'), data))


def test_resume_with_workers_matches_uninterrupted_run(tiny):
    full = str(tiny['root'] / 'full')
    out = run_tool(
        [
            'tools/train.py',
            tiny['cfg'],
            '--work-dir',
            full,
            '--no-validate',
            '--verbose',  # the config dump on the console
            '--cfg-options',
        ]
        + WORKERS
    )
    assert 'persistent_workers=True' in out
    assert 'num_workers=2' in out
    # stopped after epoch 1 (the schedule has an explicit end, as if the
    # run had been killed in epoch 2), then resumed
    work = str(tiny['root'] / 'resumed')
    run_tool(
        [
            'tools/train.py',
            tiny['cfg'],
            '--work-dir',
            work,
            '--no-validate',
            '--cfg-options',
            'train_cfg.max_epochs=1',
        ]
        + WORKERS
    )
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    out = run_tool(
        [
            'tools/train.py',
            tiny['cfg'],
            '--work-dir',
            work,
            '--no-validate',
            '--resume',
            '--cfg-options',
        ]
        + WORKERS
    )
    assert 'resumed epoch: 1' in out
    expected = load_state(osp.join(full, 'epoch_2.pth'))
    resumed = load_state(osp.join(work, 'epoch_2.pth'))
    # 6 train images, batches of 2, 2 epochs
    assert resumed['meta']['iter'] == expected['meta']['iter'] == 6
    for key, value in expected['state_dict'].items():
        assert torch.equal(resumed['state_dict'][key], value), key
