from .dump_wsol_results import DumpWSOLResults
from .wsol_mask_metric import WSOLMaskMetric
from .wsol_metric import WSOLMetric

__all__ = ['DumpWSOLResults', 'WSOLMaskMetric', 'WSOLMetric']
