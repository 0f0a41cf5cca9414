from .cam_visualization_hook import CAMVisualizationHook
from .ram_start_hook import RAMStartHook, ram_modules
from .report_hook import WSOLReportHook
from .rng_state_hook import RNGStateHook, get_rng_states, set_rng_states
from .strict_load_hook import StrictLoadHook

__all__ = [
    'CAMVisualizationHook',
    'RAMStartHook',
    'ram_modules',
    'RNGStateHook',
    'get_rng_states',
    'set_rng_states',
    'StrictLoadHook',
    'WSOLReportHook',
]
