"""Small, documented shims for known breakages of the pinned stack.

Each shim is idempotent and does nothing where it is not needed, so GPU
machines and older torch versions keep their usual behaviour.

* torch >= 2.6 loads with ``weights_only=True`` by default, which cannot
  unpickle MMEngine checkpoints (``HistoryBuffer``, numpy scalars in
  ``message_hub``). :func:`patch_checkpoint_loader` re-registers MMEngine's
  loader for local files so that it passes ``weights_only=False``. Only local
  files (which the user chose to load) are affected.
* numpy 2 removed ``np.trapz``, ``np.in1d`` and ``np.float``; some OpenMMLab
  code paths still name them. :func:`patch_numpy_aliases` restores the
  aliases to their numpy-2 equivalents when they are missing.
"""
import os.path as osp
from typing import Optional

import numpy as np
import torch

_PATCHED = {'checkpoint': False, 'numpy': False}


def _torch_accepts_weights_only() -> bool:
    """Whether :func:`torch.load` knows the ``weights_only`` argument."""
    import inspect
    return 'weights_only' in inspect.signature(torch.load).parameters


def load_local_checkpoint(filename: str,
                          map_location: Optional[str] = None) -> dict:
    """Load a local checkpoint file written by MMEngine or plain torch.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If ``filename`` does not exist.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    kwargs = {}
    if _torch_accepts_weights_only():
        kwargs['weights_only'] = False
    return torch.load(filename, map_location=map_location, **kwargs)


def patch_checkpoint_loader() -> None:
    """Make MMEngine load local checkpoints with ``weights_only=False``."""
    if _PATCHED['checkpoint']:
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    _PATCHED['checkpoint'] = True


def patch_numpy_aliases() -> None:
    """Restore numpy aliases removed in numpy 2 (only where missing)."""
    if _PATCHED['numpy']:
        return
    aliases = {
        'trapz': getattr(np, 'trapezoid', None),
        'in1d': np.isin,
        'float': float,
        'int': int,
        'bool': bool,
    }
    for name, value in aliases.items():
        if value is not None and name not in np.__dict__:
            setattr(np, name, value)
    _PATCHED['numpy'] = True


def apply_compat() -> None:
    """Apply every shim of this module (idempotent)."""
    patch_numpy_aliases()
    patch_checkpoint_loader()
