"""``--cfg-options`` for configs whose fields hold lists (e.g. evaluators).

MMEngine's ``Config.merge_from_dict`` walks a dotted key through lists only
by position (``test_evaluator.0.curves_file``); a named key such as
``test_evaluator.curves_file`` meets a list of metrics and fails with
``TypeError: list indices must be integers``. Here a named key that walks
into a list of component configs is applied to every item whose component
takes that argument (its config already has the key, or its ``__init__``
names it), e.g. ``test_evaluator.curves_file=c.json`` sets ``curves_file``
on both ``WSOLMetric`` and ``WSOLMaskMetric``. When no item takes it, the
error names the key, the items and the index form.
"""

import inspect
from typing import Any, List, Optional

from mmengine.config import Config
from mmengine.logging import print_log

__all__ = ['expand_cfg_option', 'merge_cfg_options']


def _component_class(item_type: Any) -> Optional[type]:
    """The class a config ``type`` names, searched in mmwsol's registries.

    Args:
        item_type: The ``type`` field (a registered name or a class).

    Returns:
        type, optional: The class, None when no registry knows it.
    """
    if inspect.isclass(item_type):
        return item_type
    if not isinstance(item_type, str):
        return None
    from mmwsol import registry

    for name in registry.__all__:
        found = getattr(registry, name).get(item_type)
        if inspect.isclass(found):
            return found
    return None


def _takes(item: Any, field: str) -> bool:
    """Whether a list item's component takes the argument ``field``."""
    if not isinstance(item, dict):
        return False
    if field in item:
        return True
    cls = _component_class(item.get('type'))
    if cls is None:
        return False
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    param = params.get(field)
    return param is not None and param.kind not in (
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    )


def _describe(item: Any) -> str:
    if isinstance(item, dict) and 'type' in item:
        item_type = item['type']
        return getattr(item_type, '__name__', str(item_type))
    return type(item).__name__


def expand_cfg_option(plain: dict, key: str) -> List[str]:
    """The keys that MMEngine can merge for one ``--cfg-options`` key.

    Args:
        plain (dict): The config as plain dicts and lists.
        key (str): A dotted key, e.g. ``test_evaluator.curves_file``.

    Returns:
        list[str]: ``[key]`` when it walks no list by name; otherwise one
        indexed key per list item that takes the field, e.g.
        ``['test_evaluator.0.curves_file', 'test_evaluator.1.curves_file']``.

    Raises:
        ValueError: A named key meets a list where no item takes it; the
            message names the key, the items and the index form.
    """
    parts = key.split('.')
    node: Any = plain
    for depth, part in enumerate(parts):
        if isinstance(node, (list, tuple)):
            if part.isdigit():
                index = int(part)
                if index >= len(node):
                    return [key]  # MMEngine reports the bad index
                node = node[index]
                continue
            where = '.'.join(parts[:depth])
            rest = '.'.join(parts[depth:])
            takers = [i for i, item in enumerate(node) if _takes(item, part)]
            if not takers:
                items = ', '.join(
                    f'{where}.{i}: {_describe(item)}'
                    for i, item in enumerate(node)
                )
                raise ValueError(
                    f'--cfg-options {key}: `{where}` is a list of '
                    f'{len(node)} items and none of them takes `{part}` '
                    f'({items}); to set it anyway, index the item by '
                    f'position, e.g. {where}.0.{rest}'
                )
            expanded = []
            for i in takers:
                sub = expand_cfg_option(node[i], rest)
                expanded += [f'{where}.{i}.{s}' if where else s for s in sub]
            return expanded
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return [key]  # a new key: MMEngine creates it
    return [key]


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> Config:
    """Merge ``--cfg-options`` into a config, into lists of components too.

    A named key that walks into a list (``test_evaluator.curves_file`` with
    ``test_evaluator`` a list of metrics) is set on every item that takes
    it (see :func:`expand_cfg_option`); the index form
    (``test_evaluator.0.curves_file``) sets one item, as in MMEngine.

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): The parsed ``--cfg-options``.

    Returns:
        Config: The same config.

    Raises:
        ValueError: A key names a field that no item of a list takes; the
            message names the key, the list items and the index form. Nothing
            is merged then.
    """
    if not options:
        return cfg
    plain = cfg.to_dict()
    merged = {}
    for key, value in options.items():
        keys = expand_cfg_option(plain, key)
        if keys != [key]:
            print_log(
                f'--cfg-options {key}: set as {", ".join(keys)}',
                logger='current',
            )
        for full_key in keys:
            merged[full_key] = value
    cfg.merge_from_dict(merged)
    return cfg
