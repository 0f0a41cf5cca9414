import mmpretrain.evaluation  # noqa: F401  (registers the parent's modules)

from .box_rule import BoxRule
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .offline import (
    check_scoremap_files,
    evaluate_scoremaps,
    load_scoremap,
    load_split_infos,
    make_offline_sample,
    resize_scoremap,
)

__all__ = [
    'BoxRule',
    'check_scoremap_files',
    'evaluate_scoremaps',
    'load_scoremap',
    'load_split_infos',
    'make_offline_sample',
    'resize_scoremap',
]
