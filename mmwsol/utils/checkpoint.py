"""Safe and strict checkpoint loading.

Two rules, for every checkpoint mmwsol reads:

* **Nothing runs from a checkpoint.** Files are unpickled with
  ``torch.load(weights_only=True)``. Besides what torch itself allows
  (tensors, containers, numbers, strings, ``OrderedDict``, ...), an explicit
  allow-list admits exactly the types that MMEngine / mmpretrain checkpoints
  hold, found by saving checkpoints of the shipped configs (train and resume
  checkpoints with message hub, best checkpoints, the RNG states of
  :class:`~mmwsol.engine.hooks.RNGStateHook`):

  - ``mmengine.logging.HistoryBuffer`` (the message hub's scalars), and the
    four statistics methods it pickles with itself
    (``HistoryBuffer.min/max/current/mean``, written by pickle as
    ``getattr(HistoryBuffer, 'min')``): ``builtins.getattr`` is admitted only
    as a function that returns these four, nothing else;
  - numpy arrays, scalars and dtypes (``numpy.ndarray``, ``numpy.dtype``,
    ``multiarray._reconstruct``, ``multiarray.scalar``; numpy 1 spells the
    module ``numpy.core.multiarray``, numpy 2 ``numpy._core.multiarray``:
    both names are admitted, so checkpoints of either numpy load), and the
    DType classes of bool and number dtypes (``numpy.dtypes.Float64DType``
    ...: from numpy 1.25 a dtype is restored as an instance of one). They
    hold the message hub's ``eta`` / best score, the history of its
    scalars and numpy's RNG state. Object, string, void and datetime dtypes
    are not admitted.

  Anything else is refused with :class:`UnsafeCheckpointError`, naming the
  offending global and the opt-in: ``--unsafe-load`` on the tools,
  ``unsafe_load=True`` in :class:`mmwsol.apis.WSOLInferencer` — only for
  files you trust.

* **A checkpoint that does not fit the model is an error** for test,
  inference and the API (:func:`mmwsol.utils.load_model_weights`):
  missing, unexpected and mis-shaped keys are listed (the first few of each
  and the counts).
  ``partial=True`` (``--partial-load``) loads the keys that fit and logs the
  same summary. ``load_from`` for fine-tuning in ``tools/train.py`` keeps
  MMEngine's lenient rule (the summary is in the log).

Scope. mmwsol changes nothing in torch, numpy or MMEngine when it is
imported. The allow-list is added only inside :func:`checkpoint_loading`,
a context around mmwsol's own loads and around ``runner.train()`` in
``tools/train.py`` (so MMEngine's resume / ``load_from`` / ``Pretrained``
loads see it); on exit exactly the entries it added are removed (entries a
user registered before stay). MMEngine's own loaders call ``torch.load``
without ``weights_only``, which is ``True`` by default from torch 2.6 (the
pinned torch is 2.14). Inside the context, :func:`torch.load` calls of
other code also accept the allow-listed types: it only adds safe types,
never lowers the protection. ``unsafe=True`` sets
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` for the duration of the context only
(the opt-in of ``tools/train.py --unsafe-load``).
"""

import functools
import os
import os.path as osp
import pickle
import re
from contextlib import contextmanager
from typing import Iterator, Tuple, Union

import numpy as np
import torch

__all__ = [
    'CheckpointError',
    'UnsafeCheckpointError',
    'safe_checkpoint_globals',
    'checkpoint_loading',
    'load_checkpoint_file',
    'unsafe_checkpoint_error',
]

UNSAFE_HINT = (
    'If you trust this file, load it with --unsafe-load '
    '(API: unsafe_load=True); only for files you trust: '
    'unpickling it may run code.'
)
_STATISTICS = ('min', 'max', 'current', 'mean')
_NUMBERS = (
    'bool',
    'int8',
    'int16',
    'int32',
    'int64',
    'uint8',
    'uint16',
    'uint32',
    'uint64',
    'float16',
    'float32',
    'float64',
    'longdouble',
    'complex64',
    'complex128',
    'clongdouble',
)
_NO_WEIGHTS_ONLY_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


class CheckpointError(RuntimeError):
    """A checkpoint mmwsol refuses to load (the message says why)."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint holds a type outside the allow-list."""


def history_buffer_method(owner: type, name: str):
    """``getattr`` for unpickling, limited to HistoryBuffer's statistics.

    A pickled ``HistoryBuffer`` carries its ``statistics_methods`` dict,
    whose values pickle writes as ``getattr(HistoryBuffer, 'min')`` (and
    ``max``, ``current``, ``mean``). This stands in for ``builtins.getattr``
    during a weights-only load and refuses any other use.

    Args:
        owner (type): Must be ``mmengine.logging.HistoryBuffer``.
        name (str): One of ``min``, ``max``, ``current``, ``mean``.

    Returns:
        Callable: The method of ``HistoryBuffer``.

    Raises:
        pickle.UnpicklingError: For any other owner or name.
    """
    from mmengine.logging import HistoryBuffer

    if owner is HistoryBuffer and name in _STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr({owner!r}, {name!r}) '
        'is not allowed (only HistoryBuffer statistics methods are)'
    )


@functools.lru_cache(maxsize=1)
def safe_checkpoint_globals() -> Tuple:
    """The allow-list beyond torch's defaults (see the module docstring).

    Returns:
        tuple: Entries for :func:`torch.serialization.safe_globals`: classes
        and ``(callable, 'module.name')`` pairs.
    """
    from mmengine.logging import HistoryBuffer

    multiarray = (
        np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    )
    entries = [
        HistoryBuffer,
        (history_buffer_method, 'builtins.getattr'),
        (np.ndarray, 'numpy.ndarray'),
        (np.dtype, 'numpy.dtype'),
    ]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((multiarray._reconstruct, f'{module}._reconstruct'))
        entries.append((multiarray.scalar, f'{module}.scalar'))
    # numpy >= 1.25: a dtype is an instance of its DType class, which the
    # unpickler must admit to restore it (BUILD); bool and numbers only
    for dtype_class in dict.fromkeys(type(np.dtype(t)) for t in _NUMBERS):
        if dtype_class is not np.dtype:
            entries.append(dtype_class)
    return tuple(entries)


def _offending_global(message: str) -> str:
    """The global named in torch's weights-only error message."""
    patterns = (
        r'GLOBAL (\S+?)(?: was not| whose module|\(|$)',
        r'unrecognized function (.+?)(?: which belongs|$)',
        r'allowlisted via `add_safe_globals`,? but got (.+)$',
    )
    for pattern in patterns:
        match = re.search(pattern, message, re.MULTILINE)
        if match:
            return match.group(1).rstrip('.')
    return 'an object outside the allow-list'


def unsafe_checkpoint_error(
    error: Exception, source: str
) -> UnsafeCheckpointError:
    """Turn torch's weights-only refusal into an error naming the fix.

    Args:
        error (Exception): The ``pickle.UnpicklingError`` of torch.
        source (str): The file (or what loaded it).

    Returns:
        UnsafeCheckpointError: The error to raise.
    """
    name = _offending_global(str(error))
    return UnsafeCheckpointError(
        f'{source}: refused to load: the checkpoint holds {name}, which is '
        'not among the types allowed in checkpoints (tensors, containers, '
        'numbers, strings, numpy arrays/scalars/dtypes, MMEngine '
        f'HistoryBuffer). {UNSAFE_HINT}'
    )


def _is_weights_only_refusal(error: BaseException) -> bool:
    return isinstance(error, pickle.UnpicklingError) and (
        'Weights only load failed' in str(error)
        or 'Unsupported global' in str(error)
    )


@contextmanager
def checkpoint_loading(
    unsafe: bool = False, source: str = 'checkpoint'
) -> Iterator[None]:
    """Admit the checkpoint allow-list while the context is open.

    Weights-only refusals raised inside become :class:`UnsafeCheckpointError`
    naming the offending type and the opt-in.

    Args:
        unsafe (bool): Also let loads that do not pass ``weights_only``
            (MMEngine's) unpickle anything, through
            ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``. Only for files you trust.
            Defaults to False.
        source (str): Names the loads in error messages.
    """
    present = set(torch.serialization.get_safe_globals())
    missing = [g for g in safe_checkpoint_globals() if g not in present]
    old_env = os.environ.get(_NO_WEIGHTS_ONLY_ENV)
    if unsafe:
        os.environ[_NO_WEIGHTS_ONLY_ENV] = '1'
    try:
        with torch.serialization.safe_globals(missing):
            yield
    except pickle.UnpicklingError as error:
        if _is_weights_only_refusal(error):
            raise unsafe_checkpoint_error(error, source) from error
        raise
    finally:
        if unsafe:
            if old_env is None:
                os.environ.pop(_NO_WEIGHTS_ONLY_ENV, None)
            else:
                os.environ[_NO_WEIGHTS_ONLY_ENV] = old_env


def load_checkpoint_file(
    filename: str,
    map_location: Union[str, torch.device, None] = 'cpu',
    unsafe: bool = False,
) -> dict:
    """Load a checkpoint file with ``weights_only=True`` and the allow-list.

    Args:
        filename (str): A local file, or a URI MMEngine's
            ``CheckpointLoader`` knows (``https://``, ``torchvision://``,
            ...; read by MMEngine's loaders inside the same context).
        map_location (str | torch.device, optional): As for
            :func:`torch.load`. Defaults to 'cpu'.
        unsafe (bool): Unpickle anything (``weights_only=False``). Only for
            files you trust. Defaults to False.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: No such local file.
        UnsafeCheckpointError: The file holds a type outside the allow-list.
        CheckpointError: The file holds no dict.
    """
    path = osp.expanduser(str(filename))
    with checkpoint_loading(unsafe=unsafe, source=str(filename)):
        if osp.isfile(path):
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=not unsafe
            )
        elif '://' in path:
            from mmengine.runner.checkpoint import CheckpointLoader

            checkpoint = CheckpointLoader.load_checkpoint(
                path, map_location=map_location
            )
        else:
            raise FileNotFoundError(f'checkpoint not found: {filename}')
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{filename}: holds a {type(checkpoint).__name__}, not a dict '
            '(a state_dict or an MMEngine checkpoint)'
        )
    return checkpoint
