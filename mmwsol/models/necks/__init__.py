"""Spatial necks (they keep feature maps spatial for the CAM heads)."""

from .non_local import NonLocalBlock2d, non_local_attention
from .nonlocal_neck import NonLocalNeck, apply_to_last

__all__ = [
    'NonLocalBlock2d',
    'non_local_attention',
    'NonLocalNeck',
    'apply_to_last',
]
