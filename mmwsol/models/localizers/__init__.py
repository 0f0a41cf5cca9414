from .base import BaseLocalizer
from .cam import CAM, class_activation_maps
from .functional import normalize_maps, resize_maps

__all__ = [
    'BaseLocalizer', 'CAM', 'class_activation_maps', 'normalize_maps',
    'resize_maps'
]
