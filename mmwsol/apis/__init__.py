"""One-call inference: ``init_localizer`` + ``localize``.

Not imported by ``import mmwsol`` (it would pull in the model and dataset
registries); import it explicitly, as in mmpretrain::

    from mmwsol.apis import init_localizer, localize
"""

from .coco import results_to_coco, results_to_coco_detections
from .inference import (
    LocalizationResult,
    box_settings,
    build_inference_pipeline,
    init_localizer,
    load_image,
    localize,
    localize_loaded,
    map_to_original,
)
from .visualize import draw_localization

__all__ = [
    'LocalizationResult',
    'box_settings',
    'build_inference_pipeline',
    'draw_localization',
    'init_localizer',
    'load_image',
    'localize',
    'localize_loaded',
    'map_to_original',
    'results_to_coco',
    'results_to_coco_detections',
]
