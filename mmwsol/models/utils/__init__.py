"""Small pure helpers shared by the WSOL models."""

from .spatial_output import (
    RULES,
    as_feature_maps,
    run_backbone,
    spatial_backbone_cfg,
    spatial_option_hint,
)
from .token_maps import (
    TokenLayout,
    infer_grid,
    patch_grid,
    token_layout,
    tokens_to_map,
)

__all__ = [
    'RULES',
    'as_feature_maps',
    'run_backbone',
    'spatial_backbone_cfg',
    'spatial_option_hint',
    'TokenLayout',
    'infer_grid',
    'patch_grid',
    'token_layout',
    'tokens_to_map',
]
