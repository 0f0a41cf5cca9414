"""Transforms of the WSOL data pipeline (registered in mmwsol's scope)."""

import mmpretrain.datasets.transforms  # noqa: F401  (parent's transforms)

from .formatting import PackWSOLInputs, to_float_boxes
from .geometry import (
    GEOMETRY_KEY,
    UNTRACKED_KEY,
    describe_untracked,
    init_geometry,
    is_plain_resize,
    transform_geometry,
    untracked_transforms,
)
from .loading import (
    LoadImageFromFile,
    LoadWSOLAnnotations,
    build_seg_map,
    clip_bboxes,
    read_mask,
)
from .processing import (
    CenterCrop,
    RandomCrop,
    RandomFlip,
    Resize,
    ResizeEdge,
    crop_bboxes,
    flip_bboxes,
)

__all__ = [
    'LoadImageFromFile',
    'LoadWSOLAnnotations',
    'RandomCrop',
    'CenterCrop',
    'RandomFlip',
    'Resize',
    'ResizeEdge',
    'PackWSOLInputs',
    'build_seg_map',
    'clip_bboxes',
    'read_mask',
    'crop_bboxes',
    'flip_bboxes',
    'to_float_boxes',
    'GEOMETRY_KEY',
    'UNTRACKED_KEY',
    'init_geometry',
    'is_plain_resize',
    'transform_geometry',
    'untracked_transforms',
    'describe_untracked',
]
