from .acol_head import ACoLHead, acol_erase, label_attention
from .cam_head import CAMHead
from .ram_head import RAMHead, conv_head_class_maps
from .spg_head import SPGHead, masked_bce, spg_mask
from .ts_cam_head import TSCAMHead

__all__ = [
    'CAMHead',
    'RAMHead',
    'conv_head_class_maps',
    'TSCAMHead',
    'ACoLHead',
    'acol_erase',
    'label_attention',
    'SPGHead',
    'spg_mask',
    'masked_bce',
]
