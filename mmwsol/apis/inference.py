"""One-call localization: image(s) -> class scores, maps and boxes.

.. code-block:: python

    from mmwsol.apis import init_localizer, localize

    model = init_localizer('configs/cam/cam_tinynet_1xb32_synthetic.py',
                           'work_dirs/demo/epoch_12.pth')
    result = localize(model, 'data/synthetic/images/000_red_circle/'
                      'test_000000.png', topk=2)
    result.labels, result.class_names, result.label_scores
    result.maps.shape          # (2, H, W) at the original image size
    result.boxes[0]            # (n, 4) x0, y0, x1, y1 in original pixels

The model runs exactly as in ``tools/test.py`` (``model.test_step`` under
``torch.no_grad``, the config's test pipeline without its annotation
loading), so every method whose ``predict`` fills ``pred_cams`` and
``pred_cam_labels`` (see :class:`~mmwsol.models.WSOLClassifier`) works,
including localizers that need gradients (they enable them themselves).

Coordinates: the maps of ``predict`` are at the network input size; they
are mapped back onto the whole original image (the test pipelines resize
the whole image, without crop) with bicubic interpolation and clipped to
``[0, 1]``. Boxes are then cut from these original-size maps with the WSOL
box protocol (:func:`~mmwsol.evaluation.functional.fixed_threshold_boxes`:
uint8 truncation, level ``int(θ * max)`` or ``int(θ * percentile)``,
foreground ``u8 > level``, OpenCV contours), so they are in original image
pixels: ``[x0, y0, x1, y1]`` with ``x1 = x + w`` and ``y1 = y + h`` of the
contour's bounding rectangle, clipped to ``W - 1`` / ``H - 1`` (the
evaluator's convention).
"""

import copy
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope

from mmwsol.evaluation.box_rule import BoxRule
from mmwsol.evaluation.functional import (
    BOX_MODES,
    THRESHOLD_STANDARDS,
    fixed_threshold_boxes,
)
from mmwsol.utils.launch import merge_cfg_options

ImageType = Union[str, np.ndarray]

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
#: Box defaults when the config names none (the CAM convention).
DEFAULT_BOX_CFG = BoxRule().to_dict()


@dataclass
class LocalizationResult:
    """What :func:`localize` returns for one image (plain numpy / Python).

    Attributes:
        img_path (str | None): The image file, None for array inputs.
        ori_shape (tuple[int, int]): ``(h, w)`` of the original image.
        scores (np.ndarray): float32 ``(K, )`` softmax scores of all classes.
        labels (list[int]): The top-k classes, best first.
        label_scores (list[float]): Their scores.
        class_names (list[str]): Their names (``str(label)`` when the
            model knows no class names).
        maps (np.ndarray): float32 ``(k, h, w)`` maps of the top-k classes at
            the original image size, values in ``[0, 1]``.
        boxes (list[np.ndarray]): Per map, int64 ``(n, 4)`` boxes
            ``[x0, y0, x1, y1]`` in original image pixels (see the module
            doc); an empty map gives ``(0, 4)``.
        threshold (dict): The box settings used (``threshold``,
            ``threshold_standard``, ``percentile``, ``box_mode``).
    """

    img_path: Optional[str]
    ori_shape: Tuple[int, int]
    scores: np.ndarray
    labels: List[int]
    label_scores: List[float]
    class_names: List[str]
    maps: np.ndarray
    boxes: List[np.ndarray]
    threshold: Dict = field(default_factory=dict)

    @property
    def pred_label(self) -> int:
        """The top-1 class."""
        return int(np.argmax(self.scores))

    def to_dict(self, with_maps: bool = False) -> dict:
        """JSON-friendly dict (lists instead of arrays).

        Args:
            with_maps (bool): Include the maps (large). Defaults to False.
        """
        out = dict(
            img_path=self.img_path,
            ori_shape=list(self.ori_shape),
            scores=self.scores.tolist(),
            labels=list(self.labels),
            label_scores=list(self.label_scores),
            class_names=list(self.class_names),
            boxes=[b.tolist() for b in self.boxes],
            threshold=dict(self.threshold),
        )
        if with_maps:
            out['maps'] = self.maps.tolist()
        return out


def _scope(cfg: Config) -> str:
    return cfg.get('default_scope', None) or 'mmwsol'


def _strip_pretrained(module_cfg) -> None:
    """Drop ``init_cfg=Pretrained`` entries (no download at inference)."""
    if isinstance(module_cfg, dict):
        init_cfg = module_cfg.get('init_cfg', None)
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            module_cfg.pop('init_cfg')
        for value in module_cfg.values():
            _strip_pretrained(value)
    elif isinstance(module_cfg, (list, tuple)):
        for value in module_cfg:
            _strip_pretrained(value)


def _read_class_names(classes, cfg_root: Optional[str]) -> Optional[list]:
    if classes is None:
        return None
    if isinstance(classes, str):
        candidates = [classes]
        if cfg_root and not osp.isabs(classes):
            candidates.append(osp.join(cfg_root, classes))
        for path in candidates:
            if osp.isfile(path):
                with open(path) as f:
                    return [line.strip() for line in f if line.strip()]
        return None
    return [str(c) for c in classes]


def _config_class_names(cfg: Config) -> Optional[list]:
    """Class names named by the test (or val) dataset config, if readable."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader, None) or {}).get('dataset', None)
        if not dataset:
            continue
        classes = dataset.get('classes', None)
        if classes is None:
            classes = (dataset.get('metainfo', None) or {}).get('classes')
        names = _read_class_names(classes, osp.dirname(cfg.filename or ''))
        if names:
            return names
    return None


def box_settings(cfg: Config) -> dict:
    """The config's fixed-threshold box rule (top-level ``box_rule``).

    Args:
        cfg (Config): The model's config.

    Returns:
        dict: ``threshold``, ``threshold_standard``, ``percentile`` and
        ``box_mode`` (see :class:`~mmwsol.evaluation.BoxRule`).
    """
    from mmwsol.utils import apply_box_rule

    return apply_box_rule(copy.deepcopy(cfg)).to_dict()


def build_inference_pipeline(cfg: Config) -> Tuple[dict, Compose]:
    """Split the config's test pipeline into loading and the rest.

    The pipeline is ``test_dataloader.dataset.pipeline`` (what
    ``tools/test.py`` runs), else ``val_dataloader``'s, else the
    ``test_pipeline`` variable. Annotation loaders are dropped (inference
    has no labels). The first step must load the image (its type contains
    ``LoadImage``).

    Args:
        cfg (Config): The model's config.

    Returns:
        tuple[dict, Compose]: The loading step's config and the remaining
        steps composed (built in the config's scope).
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
    with DefaultScope.overwrite_default_scope(_scope(cfg)):
        rest = Compose(pipeline[1:])
    return pipeline[0], rest


def init_localizer(
    config: Union[str, Config],
    checkpoint: Optional[str] = None,
    device: Union[str, torch.device] = 'cpu',
    cfg_options: Optional[dict] = None,
    partial_load: bool = False,
    unsafe_load: bool = False,
) -> nn.Module:
    """Build a WSOL model from a config for inference.

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): Checkpoint to load, with
            ``weights_only=True`` and the allow-list of
            :mod:`mmwsol.utils.checkpoint`, strictly: missing, unexpected or
            mis-shaped keys are an error that lists them. Without one the
            model keeps random weights (a warning says so).
        device (str | torch.device): Device. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        partial_load (bool): Load only the keys that fit and log the rest.
            Defaults to False.
        unsafe_load (bool): Unpickle any object in the checkpoint
            (``weights_only=False``). Only for files you trust: a checkpoint
            can run code when loaded. Defaults to False.

    Returns:
        nn.Module: The model in eval mode with the attributes ``cfg``,
        ``dataset_meta`` (``classes``: from the checkpoint's meta, else the
        dataset config, else None), ``pipeline_cfg`` and ``box_cfg`` (see
        :func:`box_settings`) that :func:`localize` uses.

    Raises:
        UnsafeCheckpointError: The checkpoint holds a type outside the
            allow-list (and not ``unsafe_load``).
        CheckpointMismatchError: The checkpoint does not fit the model (and
            not ``partial_load``).
    """
    from mmwsol.registry import MODELS
    from mmwsol.utils import load_model_weights, register_all_modules

    register_all_modules(init_default_scope=False)
    if isinstance(config, str):
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(
            f'config must be a path or a Config, got {type(config).__name__}'
        )
    else:
        config = copy.deepcopy(config)
    merge_cfg_options(config, cfg_options)
    model_cfg = copy.deepcopy(config.model)
    _strip_pretrained(model_cfg)
    if (
        model_cfg.get('data_preprocessor', None) is None
        and config.get('data_preprocessor', None) is not None
    ):
        model_cfg['data_preprocessor'] = config.data_preprocessor
    with DefaultScope.overwrite_default_scope(_scope(config)):
        # the config's scope decides where unscoped types are looked up
        model = MODELS.build(model_cfg)
    classes = None
    if checkpoint is not None:
        ckpt = load_model_weights(
            model, checkpoint, partial=partial_load, unsafe=unsafe_load
        )
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        classes = (meta.get('dataset_meta', None) or {}).get('classes')
    else:
        warnings.warn(
            'init_localizer: no checkpoint, the model keeps random weights'
        )
    if not classes:
        classes = _config_class_names(config)
    model.cfg = config
    model.dataset_meta = dict(classes=list(classes) if classes else None)
    model.box_cfg = box_settings(config)
    model.pipeline_cfg = build_inference_pipeline(config)
    model.to(device)
    model.eval()
    return model


def load_image(
    model: nn.Module, image: ImageType, return_image: bool = False
) -> Union[dict, Tuple[dict, np.ndarray]]:
    """Run the inference pipeline on one image.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        image (str | np.ndarray): Image file, or an ``(H, W, 3)`` BGR uint8
            array (as ``mmcv.imread`` gives; ``(H, W)`` gray is accepted).
        return_image (bool): Also return the loaded original image (e.g.
            to draw on it). Defaults to False.

    Returns:
        dict | tuple[dict, np.ndarray]: ``inputs`` and ``data_samples`` for
        ``model.test_step`` (and the original ``(H, W, 3)`` image as
        loaded, BGR with the default loading).

    Raises:
        FileNotFoundError: The file does not exist (message names it).
        ValueError: The file cannot be decoded, or the array is not an
            image.
    """
    load_cfg, rest = _pipeline(model)
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
        results = dict(
            img=img,
            img_path=None,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2],
        )
    elif isinstance(image, str):
        with DefaultScope.overwrite_default_scope(_scope(model.cfg)):
            loader = _loader(model, load_cfg)
        results = loader(dict(img_path=image))
        if results is None:
            raise ValueError(f'Failed to load image {image}')
    else:
        raise TypeError(
            f'An image must be a path or a numpy array, got '
            f'{type(image).__name__}'
        )
    original = results['img']
    with DefaultScope.overwrite_default_scope(_scope(model.cfg)):
        data = rest(results)
    return (data, original) if return_image else data


def _pipeline(model: nn.Module) -> Tuple[dict, Compose]:
    if not hasattr(model, 'pipeline_cfg'):
        raise ValueError('localize needs a model from init_localizer')
    return model.pipeline_cfg


def _loader(model: nn.Module, load_cfg: dict):
    loader = getattr(model, '_mmwsol_image_loader', None)
    if loader is None:
        from mmwsol.registry import TRANSFORMS

        loader = TRANSFORMS.build(load_cfg)
        model._mmwsol_image_loader = loader
    return loader


def _resolve_box_cfg(
    model: nn.Module, threshold, standard, percentile, box_mode
) -> dict:
    box_cfg = dict(getattr(model, 'box_cfg', None) or DEFAULT_BOX_CFG)
    if threshold is not None:
        box_cfg['threshold'] = float(threshold)
    if standard is not None:
        box_cfg['threshold_standard'] = standard
    if percentile is not None:
        box_cfg['percentile'] = float(percentile)
    if box_mode is not None:
        box_cfg['box_mode'] = box_mode
    box_cfg.setdefault('box_mode', DEFAULT_BOX_CFG['box_mode'])
    box_mode = box_cfg['box_mode']
    if box_cfg['threshold_standard'] not in THRESHOLD_STANDARDS:
        raise ValueError(
            f'Unknown threshold standard '
            f'{box_cfg["threshold_standard"]!r}, choose from '
            f'{THRESHOLD_STANDARDS}'
        )
    if box_mode not in BOX_MODES:
        raise ValueError(
            f'Unknown box mode {box_mode!r}, choose from {BOX_MODES}'
        )
    if box_cfg['threshold'] < 0:
        raise ValueError(
            f'The threshold must be >= 0, got {box_cfg["threshold"]}'
        )
    return box_cfg


def map_to_original(
    cam: np.ndarray, img_shape: Sequence[int], ori_shape: Sequence[int]
) -> np.ndarray:
    """Bring a map at network input size back onto the original image.

    Args:
        cam (np.ndarray): ``(H', W')`` map; when larger than ``img_shape``
            (a padded batch) its top-left ``img_shape`` part is used.
        img_shape (Sequence[int]): ``(h, w)`` of the resized image.
        ori_shape (Sequence[int]): ``(h, w)`` of the original image.

    Returns:
        np.ndarray: float32 ``(h, w)`` map in ``[0, 1]`` (bicubic, clipped;
        NaN read as 0).
    """
    cam = np.nan_to_num(np.asarray(cam, dtype=np.float32))
    h, w = int(img_shape[0]), int(img_shape[1])
    cam = cam[:h, :w]
    oh, ow = int(ori_shape[0]), int(ori_shape[1])
    if cam.shape != (oh, ow):
        cam = cv2.resize(cam, (ow, oh), interpolation=cv2.INTER_CUBIC)
    return np.clip(cam, 0.0, 1.0).astype(np.float32)


def _class_name(model: nn.Module, label: int) -> str:
    classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    if classes is not None and 0 <= label < len(classes):
        return str(classes[label])
    return str(label)


def _set_topk(model: nn.Module, topk: int):
    old = getattr(model, 'topk_maps', None)
    if old is not None and old != topk:
        model.topk_maps = topk
    return old


@torch.no_grad()
def localize_loaded(
    model: nn.Module,
    data: List[dict],
    topk: int = 1,
    threshold: Optional[float] = None,
    standard: Optional[str] = None,
    percentile: Optional[float] = None,
    box_mode: Optional[str] = None,
) -> List[LocalizationResult]:
    """Localize a batch of images already run through :func:`load_image`.

    Arguments as in :func:`localize`; ``data`` is a list of
    :func:`load_image` outputs (one forward pass for all of them).
    """
    if topk < 1:
        raise ValueError(f'topk must be >= 1, got {topk}')
    box_cfg = _resolve_box_cfg(
        model, threshold, standard, percentile, box_mode
    )
    if not data:
        return []
    old_topk = _set_topk(model, topk)
    try:
        samples = model.test_step(pseudo_collate(data))
    finally:
        if old_topk is not None:
            model.topk_maps = old_topk
    results = []
    for sample in samples:
        scores = sample.pred_score.detach().float().cpu().numpy()
        if 'pred_cams' not in sample:
            raise RuntimeError(
                f'{type(model).__name__}.predict returned no pred_cams; '
                'localize needs a WSOL model with a localizer'
            )
        cams = sample.pred_cams.detach().float().cpu().numpy()
        labels = [int(v) for v in sample.pred_cam_labels.cpu().reshape(-1)]
        cams, labels = cams[:topk], labels[:topk]
        ori_shape = tuple(int(v) for v in sample.ori_shape[:2])
        img_shape = tuple(int(v) for v in sample.img_shape[:2])
        maps = (
            np.stack(
                [map_to_original(cam, img_shape, ori_shape) for cam in cams]
            )
            if len(cams)
            else np.zeros((0,) + ori_shape, np.float32)
        )
        boxes = []
        for cam in maps:
            b = fixed_threshold_boxes(
                cam,
                box_cfg['threshold'],
                box_cfg['threshold_standard'],
                box_cfg['percentile'],
                box_cfg['box_mode'],
            )
            # [0, 0, 0, 0] is the protocol's "no contour": no box
            keep = (b[:, 2] > b[:, 0]) | (b[:, 3] > b[:, 1])
            boxes.append(b[keep].astype(np.int64).reshape(-1, 4))
        results.append(
            LocalizationResult(
                img_path=sample.get('img_path', None),
                ori_shape=ori_shape,
                scores=scores.astype(np.float32),
                labels=labels,
                label_scores=[float(scores[c]) for c in labels],
                class_names=[_class_name(model, c) for c in labels],
                maps=maps.astype(np.float32),
                boxes=boxes,
                threshold=dict(box_cfg),
            )
        )
    return results


def localize(
    model: nn.Module,
    images: Union[ImageType, Sequence[ImageType]],
    topk: int = 1,
    threshold: Optional[float] = None,
    standard: Optional[str] = None,
    percentile: Optional[float] = None,
    box_mode: Optional[str] = None,
    batch_size: int = 8,
) -> Union[LocalizationResult, List[LocalizationResult]]:
    """Classify and localize images.

    Args:
        model (nn.Module): A model from :func:`init_localizer`.
        images (str | np.ndarray | Sequence): One image or a list; each a
            file path or a BGR uint8 ``(H, W, 3)`` array (as ``mmcv.imread``
            gives).
        topk (int): Number of predicted classes with a map and boxes.
            Defaults to 1.
        threshold (float, optional): Box threshold θ. Defaults to the
            config's box metric (``test_evaluator``), else 0.2.
        standard (str, optional): ``'max'`` or ``'percentile'``. Defaults
            to the config's, else 'max'.
        percentile (float, optional): Percentile of the ``'percentile'``
            standard. Defaults to the config's, else 90.
        box_mode (str): ``'largest'`` (one box around the largest contour,
            the classic CAM box and the sensible pseudo-label), ``'all'``
            (a box per contour, holes included, as MaxBoxAccV2 counts them)
            or ``'union'`` (one box around all foreground). Defaults to
            the config's box metric rule (``loc_box_mode``), else
            'largest'.
        batch_size (int): Images per forward pass. Defaults to 8.

    Returns:
        LocalizationResult | list[LocalizationResult]: One result for one
        image, else a list in input order.

    Raises:
        FileNotFoundError | ValueError: An image cannot be read (the message
            names it). To skip bad files, call :func:`load_image` per image
            and :func:`localize_loaded` on the good ones, as
            ``tools/localize.py`` does.
    """
    single = isinstance(images, (str, np.ndarray))
    if single:
        images = [images]
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    results = []
    for start in range(0, len(images), batch_size):
        data = [
            load_image(model, img)
            for img in images[start : start + batch_size]
        ]
        results.extend(
            localize_loaded(
                model, data, topk, threshold, standard, percentile, box_mode
            )
        )
    return results[0] if single else results
