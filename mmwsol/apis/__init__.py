"""Inference: :class:`WSOLInferencer` (mmpretrain's ``BaseInferencer``).

Not imported by ``import mmwsol`` (it would pull in the model and dataset
registries); import it explicitly, as in mmpretrain::

    from mmwsol.apis import WSOLInferencer

Layout: ``inferencer`` (the class), ``model_loading`` (config by path or
name, safe strict checkpoint loading), ``pipeline`` (the test pipeline on
one image), ``geometry`` (maps and boxes on the original image),
``result`` (:class:`LocalizationResult`), ``inputs`` (file / folder / list
inputs), ``coco`` (COCO export), ``visualize`` (overlays), ``inference``
(the ``init_localizer`` / ``localize`` wrappers).
"""

from .coco import results_to_coco, results_to_coco_detections
from .geometry import map_to_original, sample_to_result
from .inference import init_localizer, localize
from .inferencer import WSOLInferencer
from .inputs import IMG_EXTENSIONS, ListFileError, collect_inputs
from .model_loading import resolve_config
from .pipeline import ImagePipeline, build_inference_pipeline
from .result import LocalizationResult
from .visualize import draw_localization

__all__ = [
    'IMG_EXTENSIONS',
    'ImagePipeline',
    'ListFileError',
    'LocalizationResult',
    'WSOLInferencer',
    'build_inference_pipeline',
    'collect_inputs',
    'draw_localization',
    'init_localizer',
    'localize',
    'map_to_original',
    'resolve_config',
    'results_to_coco',
    'results_to_coco_detections',
    'sample_to_result',
]
