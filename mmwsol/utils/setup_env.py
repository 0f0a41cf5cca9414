"""Registration of all mmwsol (and mmpretrain) modules."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmwsol component package so that it is registered.

    The component packages import their mmpretrain counterparts, so the
    parent registries are filled as well (child registry lookups do not import
    the parent's modules by themselves).

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``'mmwsol'``. Defaults to True.
    """
    import mmwsol.datasets  # noqa: F401
    import mmwsol.engine  # noqa: F401
    import mmwsol.evaluation  # noqa: F401
    import mmwsol.models  # noqa: F401
    import mmwsol.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmwsol', scope_name='mmwsol')
    elif current.scope_name != 'mmwsol':
        warnings.warn(
            f'The current default scope "{current.scope_name}" is '
            'not "mmwsol"; `register_all_modules` switches it to '
            '"mmwsol".'
        )
        DefaultScope.get_instance(
            f'mmwsol-{datetime.datetime.now()}', scope_name='mmwsol'
        )
