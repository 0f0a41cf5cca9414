from .gap import GAP, global_avg_pool
from .tap import ThresholdedAvgPool, thresholded_avg_pool

__all__ = [
    'GAP',
    'global_avg_pool',
    'ThresholdedAvgPool',
    'thresholded_avg_pool',
]
