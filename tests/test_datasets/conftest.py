"""Fixtures of tiny WSOL splits written into ``tmp_path``."""

from typing import Dict

import pytest
from wsol_data_utils import make_box_split, make_mask_split


@pytest.fixture
def box_split(tmp_path) -> Dict[str, str]:
    """A box-annotated split in ``tmp_path``."""
    return make_box_split(str(tmp_path))


@pytest.fixture
def mask_split(tmp_path) -> Dict[str, object]:
    """A mask-annotated split in ``tmp_path``."""
    return make_mask_split(str(tmp_path))
