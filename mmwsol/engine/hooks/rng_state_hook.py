"""Save and restore random number generator states with checkpoints."""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from mmwsol.registry import HOOKS


def get_rng_states() -> Dict[str, Any]:
    """Return the states of Python's, numpy's and torch's global RNGs.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and (with CUDA) ``cuda``.
    """
    states = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
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


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make resumed training continue the random streams exactly.

    MMEngine checkpoints keep the model, optimizer, schedulers and the seed,
    but not the state of the global RNGs, which drive data augmentation when
    ``num_workers=0`` (and anything random in the model). This hook stores
    every rank's RNG states in the checkpoint and restores them when training
    starts after a resume, so an interrupted-then-resumed run ends with the
    same weights as an uninterrupted one. If the world size changed, the
    states are not restored (a warning says so).

    MMEngine saves checkpoints on rank 0 only, so with several processes the
    states are gathered (a collective on every rank) just before the
    :class:`CheckpointHook` runs, at the epochs or iterations it saves.
    """

    # runs before CheckpointHook (VERY_LOW) in the same event
    priority = 'LOW'

    def __init__(self) -> None:
        self._pending: Optional[List[Dict[str, Any]]] = None
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

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Gather the states of all ranks before an iteration checkpoint."""
        hook = self._checkpoint_hook(runner)
        if get_dist_info()[1] <= 1 or hook is None or hook.by_epoch:
            return
        if self.every_n_train_iters(runner, hook.interval) or \
                self.is_last_train_iter(runner):
            self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Put the RNG states of every rank into the checkpoint."""
        if get_dist_info()[1] > 1:
            if self._gathered is not None:
                checkpoint['rng_states'] = self._gathered
        else:
            checkpoint['rng_states'] = [get_rng_states()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the loaded states until training starts."""
        self._pending = checkpoint.get('rng_states')

    def before_train(self, runner) -> None:
        """Restore this rank's states (after MMEngine re-seeded on resume)."""
        if not self._pending:
            return
        rank, world_size = get_dist_info()
        if len(self._pending) != world_size:
            print_log(
                f'RNG states were saved by {len(self._pending)} processes '
                f'and training resumes with {world_size}: not restored.',
                logger='current', level=30)
        else:
            set_rng_states(self._pending[rank])
        self._pending = None
