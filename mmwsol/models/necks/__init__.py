"""Spatial necks (they keep feature maps spatial for the CAM heads)."""

from .hr_fuse_neck import HRFuseNeck, upsample_concat
from .non_local import NonLocalBlock2d, non_local_attention
from .nonlocal_neck import NonLocalNeck, apply_to_last
from .select_branch import SelectBranch

__all__ = [
    'NonLocalBlock2d',
    'non_local_attention',
    'NonLocalNeck',
    'apply_to_last',
    'HRFuseNeck',
    'upsample_concat',
    'SelectBranch',
]
