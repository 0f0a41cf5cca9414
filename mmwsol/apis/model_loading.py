"""Find a model's config (path, config name or metafile name) and build the
model with its checkpoint, loaded safely and strictly.

Checkpoints are read with ``weights_only=True`` and the allow-list of
:mod:`mmwsol.utils.checkpoint`, strictly (:mod:`mmwsol.utils.state_dict`):
missing, unexpected or mis-shaped keys are an error that lists them, unless
``partial_load``; ``unsafe_load`` is the explicit opt-in to unpickle any
object (only for trusted files).
"""

import copy
import difflib
import glob
import os.path as osp
import warnings
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from .pipeline import config_scope

ModelType = Union[str, Config]


def _search_roots() -> List[str]:
    """The repository root, and the package's shipped copy (``.mim``)."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return [osp.dirname(package), osp.join(package, '.mim')]


def _metafile_configs() -> dict:
    """Model name -> config path of every metafile of ``model-index.yml``."""
    from mmengine.fileio import load

    names = {}
    for root in _search_roots():
        index = osp.join(root, 'model-index.yml')
        if not osp.isfile(index):
            continue
        for metafile in load(index).get('Import', []):
            models = load(osp.join(root, metafile)).get('Models', []) or []
            for model in models:
                config = model.get('Config')
                if config and model.get('Name'):
                    names.setdefault(model['Name'], osp.join(root, config))
    return names


def resolve_config(model: ModelType) -> Config:
    """The config of a model given as a config, a file or a name.

    Args:
        model (str | Config): A :class:`Config`, a config file, a config
            name (``cam_tinynet_1xb32_synthetic``: the file
            ``configs/**/cam_tinynet_1xb32_synthetic.py``) or a model name
            of a metafile (``model-index.yml``).

    Returns:
        Config: A copy of the config.

    Raises:
        TypeError: ``model`` is neither a string nor a Config.
        FileNotFoundError: No config of that name (the message lists the
            closest names).
    """
    if isinstance(model, Config):
        return copy.deepcopy(model)
    if not isinstance(model, str):
        raise TypeError(
            f'model must be a config path, a config or model name, or a '
            f'Config, got {type(model).__name__}'
        )
    if osp.isfile(model):
        return Config.fromfile(model)
    stem = osp.splitext(osp.basename(model))[0]
    candidates = {}
    for root in _search_roots():
        pattern = osp.join(root, 'configs', '**', '*.py')
        for path in glob.glob(pattern, recursive=True):
            if '_base_' not in path:
                name = osp.splitext(osp.basename(path))[0]
                candidates.setdefault(name, path)
    candidates.update(_metafile_configs())
    if stem in candidates and osp.isfile(candidates[stem]):
        return Config.fromfile(candidates[stem])
    close = difflib.get_close_matches(stem, list(candidates), n=3)
    hint = f'; did you mean {", ".join(close)}?' if close else ''
    raise FileNotFoundError(
        f'{model!r} is neither a config file nor a config or model name{hint}'
    )


def strip_pretrained(module_cfg) -> None:
    """Drop ``init_cfg=Pretrained`` entries (no download at inference)."""
    if isinstance(module_cfg, dict):
        init_cfg = module_cfg.get('init_cfg', None)
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            module_cfg.pop('init_cfg')
        for value in module_cfg.values():
            strip_pretrained(value)
    elif isinstance(module_cfg, (list, tuple)):
        for value in module_cfg:
            strip_pretrained(value)


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


def config_class_names(cfg: Config) -> Optional[list]:
    """Class names named by the test (or val, train) dataset config."""
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


def build_localizer(
    cfg: Config,
    checkpoint: Optional[str] = None,
    device: Union[str, torch.device, None] = None,
    partial_load: bool = False,
    unsafe_load: bool = False,
) -> nn.Module:
    """Build the config's model in eval mode and load its checkpoint.

    Args:
        cfg (Config): The config.
        checkpoint (str, optional): Checkpoint file; without one the model
            keeps random weights (a warning says so).
        device (str | torch.device, optional): Device. Defaults to CPU.
        partial_load (bool): Load only the keys that fit and log the rest.
        unsafe_load (bool): Unpickle any object in the checkpoint.

    Returns:
        nn.Module: The model, with ``dataset_meta['classes']`` from the
        checkpoint's meta, else the dataset config, else None.

    Raises:
        UnsafeCheckpointError: The checkpoint holds a type outside the
            allow-list (and not ``unsafe_load``).
        CheckpointMismatchError: The checkpoint does not fit the model (and
            not ``partial_load``).
    """
    from mmwsol.registry import MODELS
    from mmwsol.utils import load_model_weights, register_all_modules

    register_all_modules(init_default_scope=False)
    model_cfg = copy.deepcopy(cfg.model)
    strip_pretrained(model_cfg)
    if (
        model_cfg.get('data_preprocessor', None) is None
        and cfg.get('data_preprocessor', None) is not None
    ):
        model_cfg['data_preprocessor'] = cfg.data_preprocessor
    with DefaultScope.overwrite_default_scope(config_scope(cfg)):
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
        warnings.warn('no checkpoint: the model keeps random weights')
    if not classes:
        classes = config_class_names(cfg)
    model.dataset_meta = dict(classes=list(classes) if classes else None)
    model.to(device or 'cpu')
    model.eval()
    return model
