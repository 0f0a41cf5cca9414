from .cam_visualization_hook import CAMVisualizationHook
from .rng_state_hook import RNGStateHook, get_rng_states, set_rng_states

__all__ = [
    'CAMVisualizationHook', 'RNGStateHook', 'get_rng_states',
    'set_rng_states'
]
