"""Save and restore random number generator states with checkpoints."""

import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop

from mmwsol.registry import HOOKS


def get_rng_states() -> Dict[str, Any]:
    """Return the states of Python's, numpy's and torch's global RNGs.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and (with CUDA) ``cuda``.
    """
    states = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Dict[str, Any]) -> None:
    """Restore RNG states returned by :func:`get_rng_states`.

    Args:
        states (dict): The states.
    """
    random.setstate(states['python'])
    np.random.set_state(states['numpy'])
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        cuda = states['cuda']
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


def train_sampler(runner) -> Optional[Any]:
    """Return the sampler of the training dataloader that has a seed.

    Args:
        runner: The runner.

    Returns:
        The sampler (e.g. ``DefaultSampler`` or ``SeededSampler``), or None
        when no training loop is built or its dataloader has no sampler with
        a ``seed`` attribute.
    """
    # do not build a training loop that was not built (e.g. when testing)
    if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
        return None
    loader = runner.train_loop.dataloader
    batch_sampler = getattr(loader, 'batch_sampler', None)
    for sampler in (
        getattr(batch_sampler, 'sampler', None),
        getattr(loader, 'sampler', None),
    ):
        if sampler is not None and hasattr(sampler, 'seed'):
            return sampler
    return None


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make resumed training continue the random streams exactly.

    MMEngine checkpoints keep the model, optimizer, schedulers and the seed,
    but not the state of the global RNGs, which drive anything random in the
    model (and data augmentation with a plain ``DefaultSampler`` and
    ``num_workers=0``), nor the seed of the training sampler, which MMEngine
    builds before it resumes (with ``randomness.seed=None`` a resumed run
    would shuffle and, with :class:`SeededSampler`, augment from a new
    seed). This hook stores every rank's RNG states and the sampler's seed in
    the checkpoint and restores them when training starts after a resume.
    If the world size changed, the RNG states are not restored (a warning
    says so); the sampler's seed, the same on every rank, is.

    Data-loading workers have random states of their own, which no
    checkpoint holds: an exact resume with workers needs the augmentation to
    be a function of (seed, epoch, sample index), which
    :class:`SeededSampler` gives (the shipped configs use it).

    MMEngine saves checkpoints on rank 0 only, so with several processes the
    states are gathered (a collective on every rank) just before the
    :class:`CheckpointHook` runs, at the epochs or iterations it saves.
    """

    # runs before CheckpointHook (VERY_LOW) in the same event
    priority = 'LOW'

    def __init__(self) -> None:
        self._pending: Optional[List[Dict[str, Any]]] = None
        self._pending_sampler_seed: Optional[int] = None
        self._gathered: Optional[List[Dict[str, Any]]] = None

    @staticmethod
    def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook):
                return hook
        return None

    def _gather(self) -> None:
        self._gathered = all_gather_object(get_rng_states())

    def after_train_epoch(self, runner) -> None:
        """Gather the states of all ranks before an epoch checkpoint."""
        hook = self._checkpoint_hook(runner)
        if get_dist_info()[1] > 1 and hook is not None and hook.by_epoch:
            self._gather()

    def after_train_iter(
        self, runner, batch_idx: int, data_batch=None, outputs=None
    ) -> None:
        """Gather the states of all ranks before an iteration checkpoint."""
        hook = self._checkpoint_hook(runner)
        if get_dist_info()[1] <= 1 or hook is None or hook.by_epoch:
            return
        if self.every_n_train_iters(
            runner, hook.interval
        ) or self.is_last_train_iter(runner):
            self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Put the RNG states of every rank and the seed of the training
        sampler into the checkpoint."""
        sampler = train_sampler(runner)
        if sampler is not None and sampler.seed is not None:
            checkpoint['sampler_seed'] = int(sampler.seed)
        if get_dist_info()[1] > 1:
            if self._gathered is not None:
                checkpoint['rng_states'] = self._gathered
        else:
            checkpoint['rng_states'] = [get_rng_states()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the loaded states until training starts."""
        self._pending = checkpoint.get('rng_states')
        self._pending_sampler_seed = checkpoint.get('sampler_seed')

    def before_train(self, runner) -> None:
        """Restore this rank's states (after MMEngine re-seeded on resume)
        and the training sampler's seed."""
        if self._pending_sampler_seed is not None:
            sampler = train_sampler(runner)
            if sampler is not None:
                sampler.seed = self._pending_sampler_seed
            self._pending_sampler_seed = None
        if not self._pending:
            return
        rank, world_size = get_dist_info()
        if len(self._pending) != world_size:
            print_log(
                f'RNG states were saved by {len(self._pending)} processes '
                f'and training resumes with {world_size}: not restored.',
                logger='current',
                level=30,
            )
        else:
            set_rng_states(self._pending[rank])
        self._pending = None
