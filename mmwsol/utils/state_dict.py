"""Strict loading of weights into a model, with a readable mismatch report.

Keys go through each module's ``_load_from_state_dict`` (as in
:meth:`torch.nn.Module.load_state_dict` and MMEngine's ``load_state_dict``),
so modules that rename keys of older checkpoints (mmwsol's VGG, Inception
and ``InsertLayers`` backbones) are honoured. ``num_batches_tracked``
buffers missing from a checkpoint are ignored, as in MMEngine.
"""

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Tuple, Union

import torch
from torch import nn

from .checkpoint import CheckpointError, load_checkpoint_file

__all__ = [
    'CheckpointMismatchError',
    'LoadReport',
    'load_state_dict_checked',
    'load_model_weights',
]

PARTIAL_HINT = (
    'Pass --partial-load (API: partial_load=True) to load only '
    'the keys that fit.'
)
_SIZE_MISMATCH = re.compile(
    r'size mismatch for (?P<key>.+?): copying a param with shape '
    r'(?P<ckpt>.+?) from checkpoint, the shape in current model is '
    r'(?P<model>.+?)\.$',
    re.DOTALL,
)


class CheckpointMismatchError(CheckpointError):
    """The weights of a checkpoint do not fit the model."""


def _shape(text: str) -> str:
    """``torch.Size([6, 256])`` -> ``[6, 256]``."""
    match = re.fullmatch(r'torch\.Size\(\[(.*)\]\)', text.strip())
    return f'[{match.group(1)}]' if match else text


@dataclass
class LoadReport:
    """What did not fit when loading a state_dict into a model.

    Args:
        num_model_keys (int): Tensors in the model's state_dict.
        missing (list[str]): Model keys the checkpoint lacks.
        unexpected (list[str]): Checkpoint keys the model lacks.
        mismatched (list[str]): ``key (checkpoint [..], model [..])`` for
            keys of a different shape.
        errors (list[str]): Any other error of ``_load_from_state_dict``.
    """

    num_model_keys: int
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every key fitted."""
        return not (
            self.missing or self.unexpected or self.mismatched or self.errors
        )

    def summary(self, max_items: int = 5) -> str:
        """One line per kind of problem, the first ``max_items`` of each."""

        def line(items: List[str], what: str) -> str:
            shown = ', '.join(items[:max_items])
            more = (
                f', ... ({len(items) - max_items} more)'
                if len(items) > max_items
                else ''
            )
            return f'  {len(items)} {what}: {shown}{more}'

        lines = []
        if self.missing:
            lines.append(
                line(
                    self.missing,
                    'missing key(s) (in the model, not in the checkpoint)',
                )
            )
        if self.unexpected:
            lines.append(
                line(
                    self.unexpected,
                    'unexpected key(s) (in the checkpoint, not in the model)',
                )
            )
        if self.mismatched:
            lines.append(
                line(self.mismatched, 'key(s) with a different shape')
            )
        if self.errors:
            lines.append(line(self.errors, 'other error(s)'))
        return '\n'.join(lines)


def extract_state_dict(checkpoint: Mapping, source: str) -> OrderedDict:
    """The ``state_dict`` of an MMEngine checkpoint, or the dict itself."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, Mapping):
        raise CheckpointError(
            f'{source}: "state_dict" is a {type(state_dict).__name__}, '
            'not a dict of tensors'
        )
    result = OrderedDict(state_dict)
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        result._metadata = metadata
    return result


def _revise(
    state_dict: OrderedDict, revise_keys: List[Tuple[str, str]]
) -> OrderedDict:
    metadata = getattr(state_dict, '_metadata', None)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict(
            (re.sub(pattern, replacement, k), v) for k, v in state_dict.items()
        )
    if metadata is not None:
        state_dict._metadata = metadata
    return state_dict


def _load_collecting(
    module: nn.Module, state_dict: OrderedDict
) -> Tuple[List[str], List[str], List[str]]:
    """Load what fits; return missing, unexpected keys and error messages.

    The traversal of :meth:`torch.nn.Module.load_state_dict`, without its
    final ``raise``, so that the problems can be reported together.
    """
    missing: List[str] = []
    unexpected: List[str] = []
    errors: List[str] = []
    metadata = getattr(state_dict, '_metadata', None)

    def load(mod: nn.Module, local: dict, prefix: str = '') -> None:
        local_metadata = (
            {} if metadata is None else metadata.get(prefix[:-1], {})
        )
        mod._load_from_state_dict(
            local, prefix, local_metadata, True, missing, unexpected, errors
        )
        for name, child in mod._modules.items():
            if child is not None:
                child_prefix = prefix + name + '.'
                load(
                    child,
                    {
                        k: v
                        for k, v in local.items()
                        if k.startswith(child_prefix)
                    },
                    child_prefix,
                )
        incompatible = nn.modules.module._IncompatibleKeys(missing, unexpected)
        for hook in mod._load_state_dict_post_hooks.values():
            hook(mod, incompatible)

    with torch.no_grad():
        load(module, state_dict)
    return missing, unexpected, errors


def load_state_dict_checked(
    model: nn.Module,
    checkpoint: Mapping,
    source: str = 'checkpoint',
    partial: bool = False,
    revise_keys: Optional[List[Tuple[str, str]]] = None,
    logger: Union[str, logging.Logger] = 'current',
) -> LoadReport:
    """Load a checkpoint's weights; anything that does not fit is an error.

    Args:
        model (nn.Module): The model (a wrapper's ``module`` is used).
        checkpoint (Mapping): An MMEngine checkpoint (its ``state_dict``)
            or a state_dict.
        source (str): Names the checkpoint in messages.
        partial (bool): Load what fits and log the rest instead of raising.
            Defaults to False.
        revise_keys (list[tuple[str, str]], optional): ``(pattern,
            replacement)`` regex pairs for the keys. Defaults to stripping
            ``module.`` (as MMEngine).
        logger (str | logging.Logger): Logger of the partial-load summary.

    Returns:
        LoadReport: What did not fit (empty when everything fitted).

    Raises:
        CheckpointMismatchError: Something did not fit and not ``partial``.
    """
    from mmengine.logging import print_log
    from mmengine.model import is_model_wrapper

    if is_model_wrapper(model):
        model = model.module
    if revise_keys is None:
        revise_keys = [(r'^module\.', '')]
    state_dict = _revise(extract_state_dict(checkpoint, source), revise_keys)
    missing, unexpected, errors = _load_collecting(model, state_dict)
    report = LoadReport(num_model_keys=len(model.state_dict()))
    report.missing = [k for k in missing if 'num_batches_tracked' not in k]
    report.unexpected = list(unexpected)
    for message in errors:
        match = _SIZE_MISMATCH.match(message.strip())
        if match:
            report.mismatched.append(
                f'{match["key"]} (checkpoint {_shape(match["ckpt"])}, '
                f'model {_shape(match["model"])})'
            )
        else:
            report.errors.append(message.strip())
    if report.ok:
        return report
    empty = ' (it holds no weights)' if not state_dict else ''
    head = (
        f'{source}{empty} does not fit the model '
        f'{type(model).__name__} ({report.num_model_keys} keys):'
    )
    if not partial:
        raise CheckpointMismatchError(
            f'{head}\n{report.summary()}\n{PARTIAL_HINT}'
        )
    print_log(
        f'Partial load (--partial-load): {head}\n{report.summary()}\n'
        'Only the keys that fit were loaded.',
        logger=logger,
        level=logging.WARNING,
    )
    return report


def load_model_weights(
    model: nn.Module,
    checkpoint: Union[str, dict],
    partial: bool = False,
    unsafe: bool = False,
    map_location: Union[str, torch.device, None] = 'cpu',
    revise_keys: Optional[List[Tuple[str, str]]] = None,
    logger: Union[str, logging.Logger] = 'current',
) -> dict:
    """Load weights into a model: safely, and strictly unless ``partial``.

    Args:
        model (nn.Module): The model (a wrapper's ``module`` is used).
        checkpoint (str | dict): A file (read by
            :func:`~mmwsol.utils.checkpoint.load_checkpoint_file`) or an
            already loaded checkpoint / state_dict.
        partial (bool): See :func:`load_state_dict_checked`.
        unsafe (bool): Unpickle anything; only for files you trust.
            Defaults to False.
        map_location (str | torch.device, optional): Defaults to 'cpu'.
        revise_keys (list[tuple[str, str]], optional): See
            :func:`load_state_dict_checked`.
        logger (str | logging.Logger): Logger of the partial-load summary.

    Returns:
        dict: The checkpoint (e.g. for its ``meta``).

    Raises:
        UnsafeCheckpointError: The file holds a type outside the allow-list.
        CheckpointMismatchError: The weights do not fit (``partial=False``).
    """
    source = str(checkpoint) if isinstance(checkpoint, str) else 'checkpoint'
    if isinstance(checkpoint, str):
        checkpoint = load_checkpoint_file(checkpoint, map_location, unsafe)
    load_state_dict_checked(
        model,
        checkpoint,
        source=source,
        partial=partial,
        revise_keys=revise_keys,
        logger=logger,
    )
    return checkpoint
