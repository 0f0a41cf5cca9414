"""Augmentation of the shipped training loader: a function of
(seed, epoch, sample index), whatever the number of workers."""

import os.path as osp
import random
from copy import deepcopy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmwsol.utils import set_dataloader_defaults

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SYNTHETIC_BASE = osp.join(
    ROOT, 'configs', '_base_', 'datasets', 'synthetic_bs32.py'
)
SEED = 0


@pytest.fixture(scope='module')
def data_root(tmp_path_factory) -> str:
    from mmwsol.synthetic import generate_synthetic_dataset

    root = str(tmp_path_factory.mktemp('seeded') / 'data')
    generate_synthetic_dataset(
        root,
        num_classes=3,
        num_train=2,  # per class: 6 images
        num_val=1,
        num_test=1,
        image_size=48,
        seed=3,
    )
    return root


def shipped_train_loader(data_root: str, num_workers: int) -> dict:
    """The shipped synthetic train loader (pipeline and sampler), on the
    tiny set, with the tools' dataloader defaults (persistent workers)."""
    cfg = Config.fromfile(SYNTHETIC_BASE)
    loader = cfg.train_dataloader
    loader.dataset.update(
        data_root=data_root, classes=data_root + '/classes.txt', num_classes=3
    )
    loader.batch_size = 2
    loader.num_workers = num_workers
    cfg = Config(dict(train_dataloader=loader))
    set_dataloader_defaults(cfg)
    assert cfg.train_dataloader.persistent_workers == (num_workers > 0)
    return cfg.train_dataloader


def augmented_inputs(loader_cfg: dict, epochs) -> dict:
    """Images the loader yields, by (epoch, sample index)."""
    loader = Runner.build_dataloader(deepcopy(loader_cfg), seed=SEED)
    out = {}
    for epoch in epochs:
        loader.sampler.set_epoch(epoch)
        for batch in loader:
            for image, sample in zip(batch['inputs'], batch['data_samples']):
                key = (epoch, int(sample.metainfo['sample_idx']))
                assert key not in out
                out[key] = image.clone()
    return out


def test_augmentation_does_not_depend_on_workers(data_root):
    epochs = (0, 1)
    single = augmented_inputs(shipped_train_loader(data_root, 0), epochs)
    workers = augmented_inputs(shipped_train_loader(data_root, 2), epochs)
    assert sorted(single) == sorted(workers)
    assert len(single) == 2 * 6
    for key, image in single.items():
        assert torch.equal(image, workers[key]), key
    # each epoch draws new augmentations (a crop of 128 in 146 and a flip)
    changed = [
        not torch.equal(single[(0, index)], single[(1, index)])
        for index in range(6)
    ]
    assert sum(changed) >= 5


def test_augmentation_is_the_seeded_pipeline_of_the_sample(data_root):
    """Sample i of epoch e is what the dataset gives for an index carrying
    sample_seed(seed, e, i), in any process, whatever ran before."""
    from mmwsol.datasets import SeededIndex
    from mmwsol.datasets.samplers import sample_seed
    from mmwsol.registry import DATASETS

    loader_cfg = shipped_train_loader(data_root, 2)
    loaded = augmented_inputs(loader_cfg, (3,))
    dataset = DATASETS.build(deepcopy(loader_cfg.dataset))
    order = [5, 0, 3, 1, 4, 2]
    for index in order:  # another order than the loader's
        np.random.rand(index + 1)  # and other global RNG states
        item = dataset[SeededIndex(index, sample_seed(SEED, 3, index))]
        assert torch.equal(item['inputs'], loaded[(3, index)]), index


def test_seeded_item_leaves_the_global_rngs_alone(data_root):
    """With num_workers=0 the pipeline runs in the main process; the
    model's random streams (dropout...) must not depend on it."""
    from mmwsol.datasets import SeededIndex
    from mmwsol.registry import DATASETS

    dataset = DATASETS.build(
        deepcopy(shipped_train_loader(data_root, 0).dataset)
    )
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    states = (
        random.getstate(),
        np.random.get_state()[1].copy(),
        torch.get_rng_state(),
    )
    first = dataset[SeededIndex(2, 123)]
    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    # and the same seed gives the same sample again
    assert torch.equal(dataset[SeededIndex(2, 123)]['inputs'], first['inputs'])
    assert not all(
        torch.equal(dataset[SeededIndex(2, seed)]['inputs'], first['inputs'])
        for seed in range(124, 130)
    )
