"""Helpers shared by the WSOL backbones."""

from typing import Iterable, MutableMapping, Sequence, Tuple, Union


def drop_removed_module_keys(
    state_dict: MutableMapping, prefix: str, names: Iterable[str]
) -> list:
    """Remove the entries of modules a WSOL backbone does not build.

    WSOL backbones are classification backbones with their last blocks or
    classifier removed (e.g. ``Mixed_7*`` and ``fc`` of InceptionV3, the
    fully connected ``classifier`` of VGG). Their ImageNet checkpoints still
    hold the weights of those modules. Called from
    ``_load_from_state_dict``, this drops them *before* PyTorch or MMEngine
    compare the keys, so that loading reports no unexpected keys for modules
    that were removed on purpose, while every other mismatch is still
    reported.

    Args:
        state_dict (MutableMapping): The (local) state dict being loaded. It
            is modified in place; both :meth:`torch.nn.Module.load_state_dict`
            and :func:`mmengine.runner.load_state_dict` pass a copy.
        prefix (str): The prefix of the module being loaded, e.g.
            ``'backbone.'`` or ``''``.
        names (Iterable[str]): Names of the removed direct children.

    Returns:
        list: The keys that were dropped.
    """
    names = set(names)
    dropped = []
    for key in list(state_dict.keys()):
        if not key.startswith(prefix):
            continue
        child = key[len(prefix) :].split('.', 1)[0]
        if child in names:
            state_dict.pop(key)
            dropped.append(key)
    return dropped


def normalize_out_indices(
    out_indices: Union[int, Sequence[int]], num_outs: int, names: str = ''
) -> Tuple[int, ...]:
    """Check ``out_indices`` and make them non-negative, sorted and unique.

    Args:
        out_indices (int | Sequence[int]): Indices of the outputs to return;
            negative values count from the end.
        num_outs (int): Number of outputs the backbone can return.
        names (str): Description of the outputs for the error message.

    Returns:
        tuple[int]: The normalised indices.
    """
    if isinstance(out_indices, int):
        out_indices = [out_indices]
    assert isinstance(out_indices, Sequence), (
        f'out_indices must be a sequence of int, got {type(out_indices)}'
    )
    normalized = []
    for index in out_indices:
        if index < 0:
            index += num_outs
        assert 0 <= index < num_outs, (
            f'Invalid out_indices {out_indices}: valid indices are '
            f'0..{num_outs - 1}' + (f' ({names})' if names else '') + '.'
        )
        normalized.append(index)
    return tuple(sorted(set(normalized)))
