"""Hand a config's one ``box_rule`` to the metrics and hooks that use it.

A config declares the fixed-threshold box rule once, at top level
(``box_rule = dict(threshold=0.35, threshold_standard='percentile')``; see
:class:`~mmwsol.evaluation.BoxRule`). :func:`apply_box_rule` writes it into
every evaluator metric and hook whose registered class takes a ``box_rule``
argument (decided by the class's signature, not by its name), so the
metric, the overlays and the inference API read the same settings.
"""

import inspect
from typing import Iterator, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import DefaultScope

#: The per-component keys the rule replaced, and their ``box_rule`` field.
OLD_BOX_KEYS = {
    'threshold': 'threshold',
    'threshold_standard': 'threshold_standard',
    'percentile': 'percentile',
    'box_mode': 'box_mode',
    'loc_box_mode': 'box_mode',
}


def _evaluator_metrics(node, where: str) -> Iterator[Tuple[str, dict]]:
    """``(where, metric cfg)`` of an evaluator config (dict, list or
    ``dict(type='Evaluator', metrics=[...])``)."""
    if isinstance(node, dict) and isinstance(
        node.get('metrics'), (dict, list, tuple)
    ):
        node = node['metrics']
        where = f'{where}.metrics'
    if isinstance(node, dict):
        yield where, node
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                yield f'{where}.{i}', item


def _components(cfg: Config) -> Iterator[Tuple[str, dict, str]]:
    """``(where, component cfg, registry name)`` of the metrics and hooks."""
    for key in ('val_evaluator', 'test_evaluator'):
        for where, metric in _evaluator_metrics(cfg.get(key, None), key):
            yield where, metric, 'metric'
    for i, hook in enumerate(cfg.get('custom_hooks', None) or []):
        if isinstance(hook, dict):
            yield f'custom_hooks.{i}', hook, 'hook'
    for name, hook in (cfg.get('default_hooks', None) or {}).items():
        if isinstance(hook, dict):
            yield f'default_hooks.{name}', hook, 'hook'


def _component_class(type_, kind: str, scope: str) -> Optional[type]:
    """The registered class of a component (None when unknown)."""
    if inspect.isclass(type_):
        return type_
    if not isinstance(type_, str):
        return None
    from mmwsol.registry import HOOKS, METRICS

    registry = METRICS if kind == 'metric' else HOOKS
    with DefaultScope.overwrite_default_scope(scope):
        return registry.get(type_)


def _init_parameters(cls: type) -> dict:
    try:
        return dict(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return {}


def apply_box_rule(cfg: Config) -> 'BoxRule':  # noqa: F821
    """Check a config's ``box_rule`` and write it into its components.

    Every metric of ``val_evaluator`` / ``test_evaluator`` and every hook of
    ``custom_hooks`` / ``default_hooks`` whose class accepts ``box_rule``
    gets the top-level rule (all its fields), and ``cfg.box_rule`` becomes
    the full rule (defaults filled in).

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        BoxRule: The rule.

    Raises:
        ValueError: ``box_rule`` has an unknown key or a bad value; a
            component that takes ``box_rule`` still sets one of the keys it
            replaced (``threshold``, ``threshold_standard``, ``percentile``,
            ``loc_box_mode``, a hook's ``box_mode``); or a component sets
            its own ``box_rule`` that differs from the top-level one. The
            message names the config file and the key.
    """
    from mmwsol.evaluation.box_rule import BoxRule

    source = cfg.filename or 'the config'
    try:
        rule = BoxRule.from_cfg(cfg.get('box_rule', None))
    except (TypeError, ValueError) as error:
        raise ValueError(f'{source}: {error}') from error
    scope = cfg.get('default_scope', None) or 'mmwsol'
    for where, component, kind in _components(cfg):
        cls = _component_class(component.get('type'), kind, scope)
        params = _init_parameters(cls) if cls is not None else {}
        if 'box_rule' not in params:
            continue
        stale = [k for k in component if k in OLD_BOX_KEYS and k not in params]
        if stale:
            settings = ', '.join(
                f'{OLD_BOX_KEYS[k]}={component[k]!r}' for k in stale
            )
            raise ValueError(
                f'{source}: `{where}.{stale[0]}` is no longer read: the '
                f'fixed-threshold box rule is set once, at top level, for '
                f'the metrics, the overlays and the inferencer: '
                f'box_rule = dict({settings})'
            )
        own = component.get('box_rule', None)
        if own is not None:
            try:
                own_rule = BoxRule.from_cfg(own)
            except (TypeError, ValueError) as error:
                raise ValueError(f'{source}: {where}.{error}') from error
            if own_rule != rule:
                raise ValueError(
                    f'{source}: `{where}.box_rule` ({own_rule.to_dict()}) '
                    f'differs from the top-level box_rule '
                    f'({rule.to_dict()}); set the rule once, at top level'
                )
        component['box_rule'] = rule.to_dict()
    cfg.box_rule = rule.to_dict()
    return rule
