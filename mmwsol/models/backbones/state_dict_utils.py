"""Helpers to load classification checkpoints into trimmed WSOL backbones."""
from typing import Iterable, MutableMapping


def drop_removed_module_keys(state_dict: MutableMapping, prefix: str,
                             names: Iterable[str]) -> list:
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
        child = key[len(prefix):].split('.', 1)[0]
        if child in names:
            state_dict.pop(key)
            dropped.append(key)
    return dropped
