from .cam_head import CAMHead
from .ram_head import RAMHead, conv_head_class_maps

__all__ = ['CAMHead', 'RAMHead', 'conv_head_class_maps']
