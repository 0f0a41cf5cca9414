"""Save and restore random number generator states with checkpoints."""
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
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
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[List[Dict[str, Any]]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Gather every rank's RNG states into the checkpoint."""
        states = get_rng_states()
        _, world_size = get_dist_info()
        gathered = all_gather_object(states) if world_size > 1 else [states]
        checkpoint['rng_states'] = gathered

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
