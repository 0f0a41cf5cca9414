from .base import BaseLocalizer
from .cam import CAM, class_activation_maps
from .ccam import (CCAM, combinational_class_activation_maps,
                   target_first_ranks)
from .combinations import (BaseCombination, ExplicitWeights, Polynomial,
                           TopBottom, polynomial_weights, top_bottom_weights)
from .functional import normalize_maps, resize_maps

__all__ = [
    'BaseLocalizer', 'CAM', 'class_activation_maps', 'normalize_maps',
    'resize_maps', 'CCAM', 'combinational_class_activation_maps',
    'target_first_ranks', 'BaseCombination', 'TopBottom', 'Polynomial',
    'ExplicitWeights', 'top_bottom_weights', 'polynomial_weights'
]
