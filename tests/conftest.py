"""Shared pytest set-up: register mmwsol and use its default scope."""

import os

import pytest
from hypothesis import settings

from mmwsol.utils import register_all_modules

register_all_modules(init_default_scope=True)

# Property tests explore new random examples on every local run; CI
# (`.ci/run` sets HYPOTHESIS_PROFILE=ci) runs a fixed, reproducible set so a
# submission's result does not depend on the draw.
settings.register_profile('ci', derandomize=True, database=None)
settings.load_profile(os.environ.get('HYPOTHESIS_PROFILE', 'default'))


@pytest.fixture(autouse=True)
def _mmwsol_scope():
    """Make sure every test runs with ``default_scope='mmwsol'``."""
    from mmengine import DefaultScope

    with DefaultScope.overwrite_default_scope('mmwsol'):
        yield
