"""RNGStateHook keeps the training sampler's seed across a resume."""

from types import SimpleNamespace

from mmengine.runner import BaseLoop
from torch.utils.data import DataLoader

from mmwsol.datasets import SeededSampler
from mmwsol.engine.hooks import RNGStateHook


class _Loop(BaseLoop):
    def run(self) -> None:
        pass


def make_runner(seed):
    """A stand-in runner whose training loop has a SeededSampler."""
    sampler = SeededSampler(list(range(10)), shuffle=True, seed=seed)
    loop = _Loop(None, DataLoader(list(range(10)), sampler=sampler))
    return SimpleNamespace(_train_loop=loop, train_loop=loop), sampler


def test_sampler_seed_is_saved_and_restored_on_resume():
    runner, sampler = make_runner(seed=1234)
    sampler.set_epoch(3)
    order = [(int(i), i.seed) for i in sampler]
    checkpoint = {}
    RNGStateHook().before_save_checkpoint(runner, checkpoint)
    assert checkpoint['sampler_seed'] == 1234

    # a resumed run built its sampler from another seed (randomness.seed
    # None draws a new one), before MMEngine loaded the checkpoint
    resumed, resumed_sampler = make_runner(seed=99)
    hook = RNGStateHook()
    hook.after_load_checkpoint(resumed, checkpoint)
    hook.before_train(resumed)
    assert resumed_sampler.seed == 1234
    resumed_sampler.set_epoch(3)
    assert [(int(i), i.seed) for i in resumed_sampler] == order


def test_no_training_loop_no_sampler_seed():
    runner = SimpleNamespace(_train_loop=dict(type='EpochBasedTrainLoop'))
    checkpoint = {}
    RNGStateHook().before_save_checkpoint(runner, checkpoint)
    assert 'sampler_seed' not in checkpoint
    assert len(checkpoint['rng_states']) == 1
