from .dump_wsol_results import DumpWSOLResults
from .wsol_mask_metric import WSOLMaskMetric
from .wsol_metric import ERROR_KEYS, MAIN_KEYS, WSOLMetric
from .wsol_summary import summarize

__all__ = [
    'DumpWSOLResults',
    'WSOLMaskMetric',
    'WSOLMetric',
    'MAIN_KEYS',
    'ERROR_KEYS',
    'summarize',
]
