"""Insert registered modules into any backbone from a config (no code edit)."""

import functools
from typing import List, MutableMapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmwsol.registry import MODELS


def remap_bare_keys(
    state_dict: MutableMapping,
    prefix: str,
    own_names: Sequence[str],
    inner: str,
) -> List[str]:
    """Move the keys of a bare (unwrapped) module under a wrapper's child.

    ``prefix + 'features.0.weight'`` becomes
    ``prefix + inner + '.features.0.weight'`` for every key below ``prefix``
    whose first component is not one of ``own_names`` (the wrapper's own
    children). The ``_metadata`` of the state dict (module versions) is
    copied along. Called from ``_load_from_state_dict``; both
    :func:`torch.nn.Module.load_state_dict` and
    :func:`mmengine.runner.load_state_dict` pass a copy of the dict.

    Args:
        state_dict (MutableMapping): The state dict being loaded (modified
            in place).
        prefix (str): The wrapper's prefix, e.g. ``'backbone.'``.
        own_names (Sequence[str]): Names of the wrapper's children.
        inner (str): Name of the wrapped child, e.g. ``'backbone'``.

    Returns:
        list[str]: The original keys that were moved.
    """
    own_names = set(own_names)
    moved = []
    for key in list(state_dict.keys()):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if rest.split('.', 1)[0] in own_names:
            continue
        state_dict[f'{prefix}{inner}.{rest}'] = state_dict.pop(key)
        moved.append(key)
    metadata = getattr(state_dict, '_metadata', None)
    if moved and metadata is not None:
        base = prefix[:-1] if prefix else ''
        for name in list(metadata.keys()):
            if base and not (name == base or name.startswith(base + '.')):
                continue
            rest = name[len(base) :].lstrip('.')
            if rest.split('.', 1)[0] in own_names:
                continue
            new = '.'.join(p for p in (base, inner, rest) if p)
            metadata.setdefault(new, metadata[name])
    return moved


@MODELS.register_module()
class InsertLayers(BaseModule):
    """Run registered modules after named submodules of a backbone.

    The wrapped backbone is built unchanged and each inserted module is
    called on the output of the submodule named by ``after`` (a name of
    ``backbone.named_modules()``, e.g. ``'features.9'`` for pool3 of
    mmpretrain's VGG16 or ``'layer2'`` of its ResNet) through a forward
    hook, so its output replaces that submodule's output in the backbone's
    own forward. No backbone code is edited; the inserted modules must keep
    what the following layers expect (e.g. residual non-local blocks keep the
    shape). Inserted modules that are the identity at initialisation (such as
    :class:`NonLocalBlock2d`) leave a pretrained backbone's function
    unchanged at the start of training.

    **Weights.** The wrapped backbone is the child ``backbone`` and the
    inserted modules are ``inserted.<after with '.' -> '_'>``. State dicts of
    the bare backbone load as they are: keys that do not start with
    ``backbone.`` or ``inserted.`` are moved under ``backbone.`` on loading.
    Hence ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=
    'backbone.')`` on this wrapper loads an mmpretrain backbone checkpoint
    unchanged (the inserted modules keep their own initialisation and are
    reported as missing keys), a whole-model checkpoint trained without
    insertions (``load_from``) loads too, and a ``Pretrained`` init_cfg inside
    the wrapped backbone's config works as usual.

    Args:
        backbone (dict | nn.Module): The backbone (config).
        insert (Sequence[dict]): One dict per insertion:
            ``dict(after='features.9', module=dict(type='NonLocalBlock2d',
            in_channels=256))``. Each ``after`` may be used once.
        init_cfg (dict | list[dict], optional): Initialisation config, e.g.
            the backbone's ``Pretrained`` config (see above).

    Example:
        >>> import torch
        >>> from mmwsol.registry import MODELS
        >>> model = MODELS.build(dict(
        ...     type='InsertLayers',
        ...     backbone=dict(type='TinyWSOLNet', out_indices=(2, 3)),
        ...     insert=[dict(after='stages.2', module=dict(
        ...         type='NonLocalBlock2d', in_channels=128))]))
        >>> [tuple(o.shape) for o in model(torch.rand(2, 3, 64, 64))]
        [(2, 128, 8, 8), (2, 256, 8, 8)]
    """

    def __init__(
        self,
        backbone: Union[dict, nn.Module],
        insert: Sequence[dict] = (),
        extra_outputs: Sequence[str] = (),
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        self.backbone = (
            backbone
            if isinstance(backbone, nn.Module)
            else MODELS.build(backbone)
        )
        top_level = {n.split('.', 1)[0] for n in self.backbone.state_dict()}
        top_level |= set(self.backbone._modules)
        clash = top_level & {'backbone', 'inserted'}
        if clash:
            raise ValueError(
                f'{type(self.backbone).__name__} has top-level entries '
                f'{sorted(clash)}, which InsertLayers uses for itself'
            )
        self.inserted = nn.ModuleDict()
        self.insert_after: List[str] = []
        modules = dict(self.backbone.named_modules())
        for original in insert:
            item = dict(original)
            after = item.pop('after', None)
            module = item.pop('module', None)
            if item or not isinstance(after, str) or module is None:
                raise ValueError(
                    'each insertion must be dict(after=NAME, '
                    f'module=CFG), got {original}'
                )
            if after not in modules or after == '':
                names = [n for n in modules if n]
                raise KeyError(
                    f'{type(self.backbone).__name__} has no submodule '
                    f'{after!r}; some valid names: {names[:40]}'
                )
            key = after.replace('.', '_')
            if key in self.inserted:
                raise ValueError(
                    f'two insertions after {after!r} (or after '
                    'names equal up to "." vs "_"); chain the '
                    'modules in one insertion instead'
                )
            self.inserted[key] = (
                module
                if isinstance(module, nn.Module)
                else MODELS.build(module)
            )
            self.insert_after.append(after)
            modules[after].register_forward_hook(
                functools.partial(self._run_inserted, key)
            )
        self.extra_outputs = list(extra_outputs)
        self._tapped: dict = {}
        for name in self.extra_outputs:
            if name not in modules or name == '':
                names = [n for n in modules if n]
                raise KeyError(
                    f'extra_outputs: {type(self.backbone).__name__} has no '
                    f'submodule {name!r}; some valid names: {names[:40]}'
                )
            modules[name].register_forward_hook(
                functools.partial(self._record, name)
            )

    def _run_inserted(
        self, key: str, module: nn.Module, args: tuple, output: torch.Tensor
    ) -> torch.Tensor:
        """Forward hook: replace ``output`` by ``inserted[key](output)``."""
        if not isinstance(output, torch.Tensor):
            raise TypeError(
                f'InsertLayers can only insert after modules '
                f'that return a tensor; {key!r} returned '
                f'{type(output).__name__}'
            )
        return self.inserted[key](output)

    def _record(
        self, name: str, module: nn.Module, args: tuple, output: torch.Tensor
    ) -> None:
        """Forward hook: keep ``output`` of an ``extra_outputs`` entry."""
        self._tapped[name] = output

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Run the wrapped backbone (with the inserted modules).

        Returns:
            tuple[torch.Tensor]: The ``extra_outputs`` (in order), then the
            backbone's outputs.
        """
        if not self.extra_outputs:
            return self.backbone(x)
        self._tapped = {}
        try:
            outs = self.backbone(x)
            missing = [n for n in self.extra_outputs if n not in self._tapped]
            if missing:
                raise RuntimeError(
                    f'extra_outputs {missing} did not run in the forward '
                    f'pass of {type(self.backbone).__name__}'
                )
            extra = tuple(self._tapped[n] for n in self.extra_outputs)
        finally:
            self._tapped = {}
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        return extra + tuple(outs)

    def _load_from_state_dict(
        self,
        state_dict,
        prefix,
        local_metadata,
        strict,
        missing_keys,
        unexpected_keys,
        error_msgs,
    ) -> None:
        """Accept bare backbone keys (see the class docstring)."""
        remap_bare_keys(state_dict, prefix, list(self._modules), 'backbone')
        super()._load_from_state_dict(
            state_dict,
            prefix,
            local_metadata,
            strict,
            missing_keys,
            unexpected_keys,
            error_msgs,
        )
