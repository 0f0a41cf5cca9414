"""Transforms of the WSOL data pipeline (registered in mmwsol's scope)."""
import mmpretrain.datasets.transforms  # noqa: F401  (parent's transforms)

from .formatting import PackWSOLInputs, to_float_boxes
from .loading import (LoadImageFromFile, LoadWSOLAnnotations, build_seg_map,
                      clip_bboxes, read_mask)
from .processing import (CenterCrop, RandomCrop, RandomFlip, crop_bboxes,
                         flip_bboxes)

__all__ = [
    'LoadImageFromFile', 'LoadWSOLAnnotations', 'RandomCrop', 'CenterCrop',
    'RandomFlip', 'PackWSOLInputs', 'build_seg_map', 'clip_bboxes',
    'read_mask', 'crop_bboxes', 'flip_bboxes', 'to_float_boxes'
]
