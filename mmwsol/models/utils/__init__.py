"""Small pure helpers shared by the WSOL models."""

from .token_maps import (
    TokenLayout,
    infer_grid,
    patch_grid,
    token_layout,
    tokens_to_map,
)

__all__ = [
    'TokenLayout',
    'infer_grid',
    'patch_grid',
    'token_layout',
    'tokens_to_map',
]
