from .gap import GAP, global_avg_pool

__all__ = ['GAP', 'global_avg_pool']
