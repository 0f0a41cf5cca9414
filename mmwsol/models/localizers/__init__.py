from .acol_cam import ACoLCAM
from .bagcams import BagCAMs, bagcams_maps
from .base import BaseLocalizer
from .base_grad import BaseGradLocalizer, ReLUGradLocalizer
from .cam import CAM, class_activation_maps
from .ccam import CCAM, combinational_class_activation_maps, target_first_ranks
from .combinations import (
    BaseCombination,
    ExplicitWeights,
    Polynomial,
    TopBottom,
    polynomial_weights,
    top_bottom_weights,
)
from .functional import (
    autocast_disabled,
    finite_maps,
    normalize_last_dim,
    normalize_maps,
    resize_maps,
    to_float32,
)
from .grad_cam import GradCAM, grad_cam_maps
from .grad_cam_plus_plus import GradCAMPlusPlus, grad_cam_plus_plus_maps
from .grad_capture import (
    LayerGradCapture,
    capture_layer_gradients,
    select_scores,
)
from .layer_cam import LayerCAM, layer_cam_maps
from .pcs import PCS, pcs_maps
from .scg import (
    SCG,
    combine_self_correlation,
    seed_correlation_maps,
    self_correlation,
    spa_self_correlation_maps,
)
from .score_cam import (
    ScoreCAM,
    score_cam_channel_scores,
    score_cam_maps,
    score_cam_masks,
)
from .smooth_grad_cam_pp import (
    SmoothGradCAMpp,
    smooth_grad_cam_plus_plus_maps,
)
from .ts_cam import TSCAM, ts_cam_maps
from .xgrad_cam import XGradCAM, xgrad_cam_maps

__all__ = [
    'SCG',
    'self_correlation',
    'combine_self_correlation',
    'seed_correlation_maps',
    'spa_self_correlation_maps',
    'BaseLocalizer',
    'CAM',
    'class_activation_maps',
    'normalize_maps',
    'normalize_last_dim',
    'autocast_disabled',
    'finite_maps',
    'to_float32',
    'resize_maps',
    'CCAM',
    'combinational_class_activation_maps',
    'target_first_ranks',
    'BaseCombination',
    'TopBottom',
    'Polynomial',
    'ExplicitWeights',
    'top_bottom_weights',
    'polynomial_weights',
    'BaseGradLocalizer',
    'ReLUGradLocalizer',
    'LayerGradCapture',
    'capture_layer_gradients',
    'select_scores',
    'GradCAM',
    'grad_cam_maps',
    'GradCAMPlusPlus',
    'grad_cam_plus_plus_maps',
    'PCS',
    'pcs_maps',
    'LayerCAM',
    'layer_cam_maps',
    'XGradCAM',
    'xgrad_cam_maps',
    'ScoreCAM',
    'score_cam_masks',
    'score_cam_channel_scores',
    'score_cam_maps',
    'SmoothGradCAMpp',
    'smooth_grad_cam_plus_plus_maps',
    'ACoLCAM',
    'BagCAMs',
    'bagcams_maps',
    'TSCAM',
    'ts_cam_maps',
]
