import mmpretrain.datasets  # noqa: F401  (registers the parent's modules)

from .metadata import (
    detect_localization_format,
    parse_boxes,
    parse_class_labels,
    parse_image_ids,
    parse_image_sizes,
    parse_localization,
    parse_masks,
    read_lines,
)
from .samplers import SeededIndex, SeededSampler
from .transforms import *  # noqa: F401,F403
from .wsol_dataset import WSOLDataset, build_data_list

__all__ = [
    'WSOLDataset',
    'build_data_list',
    'SeededSampler',
    'SeededIndex',
    'read_lines',
    'parse_image_ids',
    'parse_class_labels',
    'parse_image_sizes',
    'parse_boxes',
    'parse_masks',
    'parse_localization',
    'detect_localization_format',
]
