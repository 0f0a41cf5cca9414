"""sample_seed, SeededIndex and SeededSampler."""

import pickle

import numpy as np
import pytest
from mmengine.dataset import DefaultSampler
from mmengine.logging import MMLogger

from mmwsol.datasets import SeededIndex, SeededSampler
from mmwsol.datasets.samplers import sample_seed, seeded_global_rngs


def test_sample_seed_is_a_pure_function_of_its_inputs():
    seeds = {
        (s, e, i): sample_seed(s, e, i)
        for s in (0, 1, 2**40, -1)
        for e in range(5)
        for i in range(50)
    }
    # the same inputs, the same seed (computed again, in another order)
    for key in reversed(list(seeds)):
        assert sample_seed(*key) == seeds[key]
    # unrelated inputs, unrelated seeds: no collision among 1000 of them
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= value < 2**64 for value in seeds.values())


@pytest.mark.parametrize('epoch, index', [(-1, 0), (0, -1)])
def test_sample_seed_rejects_negative_epoch_or_index(epoch, index):
    with pytest.raises(ValueError, match='must be >= 0'):
        sample_seed(0, epoch, index)


def test_seeded_rngs_repeat_and_restore():
    np.random.seed(5)
    outside = np.random.get_state()[1].copy()
    with seeded_global_rngs(11):
        first = np.random.rand(3)
    assert np.array_equal(np.random.get_state()[1], outside)
    with seeded_global_rngs(11):
        again = np.random.rand(3)
    with seeded_global_rngs(12):
        other = np.random.rand(3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_seeded_index_is_an_int_that_keeps_its_seed():
    index = SeededIndex(3, seed=2**63 + 5)
    assert isinstance(index, int) and index == 3
    assert ['a', 'b', 'c', 'd'][index] == 'd'
    copy = pickle.loads(pickle.dumps(index))  # as sent to a worker
    assert type(copy) is SeededIndex
    assert copy == 3 and copy.seed == 2**63 + 5


def test_sampler_order_is_the_default_samplers():
    data = list(range(13))
    for epoch in (0, 4):
        seeded = SeededSampler(data, shuffle=True, seed=7)
        default = DefaultSampler(data, shuffle=True, seed=7)
        seeded.set_epoch(epoch)
        default.set_epoch(epoch)
        indices = list(seeded)
        assert indices == list(default)
        assert [i.seed for i in indices] == [
            sample_seed(7, epoch, int(i)) for i in indices
        ]


def test_sample_seeds_do_not_depend_on_the_rank(monkeypatch):
    import mmengine.dataset.sampler as sampler_module

    data = list(range(9))
    single = SeededSampler(data, seed=3)
    single.set_epoch(2)
    expected = {int(i): i.seed for i in single}
    for rank in (0, 1):
        monkeypatch.setattr(
            sampler_module, 'get_dist_info', lambda rank=rank: (rank, 2)
        )
        sampler = SeededSampler(data, seed=3)
        sampler.set_epoch(2)
        for index in sampler:
            assert index.seed == expected[int(index)]


def test_sampler_warns_for_a_dataset_that_ignores_the_seeds(capsys):
    MMLogger.get_instance('mmwsol_test_sampler')
    SeededSampler(list(range(4)), seed=0)
    assert 'does not seed its pipeline' in capsys.readouterr().out
