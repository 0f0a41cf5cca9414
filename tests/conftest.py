"""Shared pytest set-up: register mmwsol and use its default scope."""
import pytest

from mmwsol.utils import register_all_modules

register_all_modules(init_default_scope=True)


@pytest.fixture(autouse=True)
def _mmwsol_scope():
    """Make sure every test runs with ``default_scope='mmwsol'``."""
    from mmengine import DefaultScope
    with DefaultScope.overwrite_default_scope('mmwsol'):
        yield
