"""The test pipeline of a config, run on one image for inference.

The pipeline is ``test_dataloader.dataset.pipeline`` (what
``tools/test.py`` runs), else ``val_dataloader``'s, else the
``test_pipeline`` variable, without its annotation loading, so the model
runs exactly as in ``tools/test.py``.
"""

import copy
import warnings
from typing import Tuple, Union

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

#: Pipeline steps that read annotations; they are dropped for inference.
ANNOTATION_TRANSFORMS = ('LoadWSOLAnnotations', 'LoadAnnotations')
#: Pipeline steps after which the map no longer covers the whole image.
CROP_TRANSFORMS = (
    'CenterCrop',
    'RandomCrop',
    'RandomResizedCrop',
    'FiveCrop',
    'TenCrop',
)


def config_scope(cfg: Config) -> str:
    """The registry scope of a config (``default_scope``, else mmwsol)."""
    return cfg.get('default_scope', None) or 'mmwsol'


def build_inference_pipeline(cfg: Config) -> Tuple[dict, Compose]:
    """Split the config's test pipeline into loading and the rest.

    Annotation loaders are dropped (inference has no labels). The first
    step must load the image (its type contains ``LoadImage``).

    Args:
        cfg (Config): The model's config.

    Returns:
        tuple[dict, Compose]: The loading step's config and the remaining
        steps composed (built in the config's scope).

    Raises:
        ValueError: No pipeline, or one that does not start by loading the
            image (the message names the config file).
    """
    pipeline = None
    for key in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(key, None) or {}).get('dataset', None)
        # wrapped datasets (e.g. RepeatDataset) keep theirs one level down
        while isinstance(dataset, dict) and 'pipeline' not in dataset:
            dataset = dataset.get('dataset', None)
        if isinstance(dataset, dict):
            pipeline = dataset['pipeline']
            break
    if pipeline is None:
        pipeline = cfg.get('test_pipeline', None)
    if pipeline is None:
        raise ValueError(
            f'{cfg.filename}: no test_dataloader.dataset.'
            'pipeline nor test_pipeline to prepare images'
        )
    pipeline = [
        copy.deepcopy(dict(t))
        for t in pipeline
        if t.get('type') not in ANNOTATION_TRANSFORMS
    ]
    if not pipeline or 'LoadImage' not in str(pipeline[0].get('type')):
        raise ValueError(
            f'{cfg.filename}: the test pipeline must start with an image '
            f'loading step, got {pipeline[:1]}'
        )
    crops = [t['type'] for t in pipeline if t.get('type') in CROP_TRANSFORMS]
    if crops:
        warnings.warn(
            f'The test pipeline crops ({crops}); maps are mapped back onto '
            'the original image by a plain resize, so boxes and overlays '
            'ignore the crop offset.'
        )
    with DefaultScope.overwrite_default_scope(config_scope(cfg)):
        rest = Compose(pipeline[1:])
    return pipeline[0], rest


class ImagePipeline:
    """Load one image (file or array) and run the test pipeline on it.

    Args:
        cfg (Config): The model's config.
    """

    def __init__(self, cfg: Config) -> None:
        from mmwsol.registry import TRANSFORMS

        self.scope = config_scope(cfg)
        load_cfg, self.rest = build_inference_pipeline(cfg)
        with DefaultScope.overwrite_default_scope(self.scope):
            self.loader = TRANSFORMS.build(load_cfg)

    def load(self, image: Union[str, np.ndarray]) -> dict:
        """The loading step's results (``img`` is the original image).

        Args:
            image (str | np.ndarray): Image file, or an ``(H, W, 3)`` BGR
                uint8 array (as ``mmcv.imread`` gives; ``(H, W)`` gray is
                accepted).

        Returns:
            dict: ``img``, ``img_path``, ``img_shape``, ``ori_shape``.

        Raises:
            FileNotFoundError: The file does not exist (message names it).
            ValueError: The file cannot be decoded, or the array is not an
                image.
            TypeError: Neither a path nor an array.
        """
        if isinstance(image, np.ndarray):
            img = image
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            if img.ndim != 3 or img.shape[2] != 3 or img.size == 0:
                raise ValueError(
                    f'An image array must be (H, W, 3) (BGR) or '
                    f'(H, W), got shape {image.shape}'
                )
            if img.dtype != np.uint8:
                img = img.astype(np.float32)
            return dict(
                img=img,
                img_path=None,
                img_shape=img.shape[:2],
                ori_shape=img.shape[:2],
            )
        if not isinstance(image, str):
            raise TypeError(
                f'An image must be a path or a numpy array, got '
                f'{type(image).__name__}'
            )
        with DefaultScope.overwrite_default_scope(self.scope):
            results = self.loader(dict(img_path=image))
        if results is None:
            raise ValueError(f'Failed to load image {image}')
        return results

    def __call__(
        self, image: Union[str, np.ndarray]
    ) -> Tuple[dict, np.ndarray]:
        """``(inputs and data_samples for test_step, original image)``."""
        results = self.load(image)
        original = results['img']
        with DefaultScope.overwrite_default_scope(self.scope):
            data = self.rest(results)
        return data, original
