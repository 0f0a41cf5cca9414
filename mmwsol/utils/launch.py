"""Helpers shared by ``tools/train.py`` and ``tools/test.py``."""

import difflib
import logging
import os
from copy import deepcopy
from datetime import timedelta
from typing import List, Optional, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from .cfg_options import merge_cfg_options  # noqa: F401 (its old home)

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def set_dataloader_defaults(
    cfg: Config, pin_memory: bool = True, persistent_workers: bool = True
) -> Config:
    """Fill in mmpretrain's dataloader defaults, safely.

    mmpretrain's tools force ``persistent_workers=True``, which PyTorch
    rejects when ``num_workers=0``. Here it is only switched on for loaders
    with workers, and ``pin_memory`` only where CUDA exists.

    Args:
        cfg (Config): The config, changed in place.
        pin_memory (bool): Whether to pin memory (ignored without CUDA).
        persistent_workers (bool): Whether to keep workers alive.

    Returns:
        Config: The same config.
    """
    for field in _LOADERS:
        loader = cfg.get(field, None)
        if loader is None:
            continue
        merged = ConfigDict(collate_fn=dict(type='default_collate'))
        merged.update(deepcopy(loader))
        workers = int(merged.get('num_workers', 0))
        merged.setdefault(
            'pin_memory', pin_memory and torch.cuda.is_available()
        )
        if not pin_memory:
            merged['pin_memory'] = False
        if workers == 0:
            merged['persistent_workers'] = False
        else:
            merged.setdefault('persistent_workers', persistent_workers)
            if not persistent_workers:
                merged['persistent_workers'] = False
        cfg[field] = merged
    return cfg


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Make ``--launcher pytorch`` work on machines without CUDA.

    MMEngine's launcher calls ``torch.cuda.set_device`` and wraps the model
    with ``device_ids=[local_rank]``. Without CUDA, this function initialises
    the process group with ``gloo`` itself (MMEngine then skips its own
    initialisation) and asks for a DDP wrapper with ``device_ids=None``.
    Nothing changes when CUDA is available or ``launcher`` is ``'none'``.

    Args:
        cfg (Config): The config, changed in place.
        launcher (str): The job launcher of the CLI.

    Returns:
        bool: Whether the CPU set-up was applied.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; on a CPU-only machine use '
            '--launcher pytorch (torchrun), which runs on gloo.'
        )
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(
                f'--launcher pytorch needs ${key}; start the '
                'job with torchrun (tools/dist_train.sh).'
            )
    if not torch_dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
        kwargs = {}
        if timeout is not None:
            kwargs['timeout'] = timedelta(seconds=int(timeout))
        torch_dist.init_process_group(backend='gloo', **kwargs)
    wrapper: dict = dict(cfg.get('model_wrapper_cfg', None) or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    env_cfg.setdefault('dist_cfg', ConfigDict())['backend'] = 'gloo'
    return True


def set_work_dir(
    cfg: Config, config_path: str, work_dir: Optional[str]
) -> Config:
    """Set ``cfg.work_dir``: CLI, then the config, then the config's name."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = os.path.join(
            './work_dirs', os.path.splitext(os.path.basename(config_path))[0]
        )
    return cfg


def _scheduler_groups(schedulers) -> List[Tuple[str, list]]:
    """Split ``param_scheduler`` into ``(name, list of schedulers)`` groups:
    one group, or one per optimizer when it is a dict of optimizers."""
    if schedulers is None:
        return []
    if isinstance(schedulers, dict) and 'type' not in schedulers:
        return [
            (f'param_scheduler.{name}', value)
            for name, value in schedulers.items()
        ]
    return [('param_scheduler', schedulers)]


def _train_length(train_cfg) -> Tuple[Optional[int], bool]:
    """The training length of ``train_cfg`` and whether it is in epochs.

    Returns:
        tuple: ``(max_epochs, True)`` for an epoch-based loop,
        ``(max_iters, False)`` for an iteration-based loop, ``(None, ...)``
        when unknown (e.g. a custom loop type).
    """
    if not train_cfg:
        return None, True
    loop_type = train_cfg.get('type')
    if loop_type is None:
        by_epoch = bool(train_cfg.get('by_epoch', False))
    elif loop_type in ('EpochBasedTrainLoop', 'IterBasedTrainLoop'):
        by_epoch = loop_type == 'EpochBasedTrainLoop'
    else:
        return None, True
    length = train_cfg.get('max_epochs' if by_epoch else 'max_iters')
    return (int(length) if length is not None else None), by_epoch


def fit_param_schedulers(cfg: Config) -> List[str]:
    """Leave out the parameter schedulers that would start after training.

    MMEngine gives a scheduler without ``end`` the training length as its
    end, and rejects ``begin >= end``: e.g. the demo's
    ``CosineAnnealingLR(begin=1)`` crashes with
    ``--cfg-options train_cfg.max_epochs=1``. Such a scheduler would never
    act in this run, so leaving it out changes no value of the schedule;
    each one left out is named in a warning. Schedulers with an explicit
    ``end`` are kept as they are (MMEngine accepts them; their state in the
    checkpoints then matches the full schedule's), as are those whose unit
    (``by_epoch``) differs from the training loop's.

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        list[str]: One message per scheduler left out.
    """
    length, by_epoch = _train_length(cfg.get('train_cfg', None))
    if length is None:
        return []
    unit = 'epoch' if by_epoch else 'iteration'
    limit = f'max_{"epochs" if by_epoch else "iters"}={length}'
    messages = []
    groups = _scheduler_groups(cfg.get('param_scheduler', None))
    for name, schedulers in groups:
        single = isinstance(schedulers, dict)
        items = [schedulers] if single else list(schedulers)
        kept = []
        for position, scheduler in enumerate(items):
            begin = (
                int(scheduler.get('begin', 0))
                if isinstance(scheduler, dict)
                else 0
            )
            if (
                isinstance(scheduler, dict)
                and 'end' not in scheduler
                and bool(scheduler.get('by_epoch', True)) == by_epoch
                and begin >= length
            ):
                where = name if single else f'{name}[{position}]'
                messages.append(
                    f'{where} ({scheduler.get("type")}, begin={begin}) '
                    f'would start at {unit} {begin}, but training stops '
                    f'after {limit}: it never acts in this run and is left '
                    'out (MMEngine rejects a scheduler with begin >= end).'
                )
                continue
            kept.append(scheduler)
        if len(kept) != len(items):
            value = (kept[0] if kept else []) if single else kept
            if name == 'param_scheduler':
                cfg.param_scheduler = value
            else:
                cfg.param_scheduler[name.split('.', 1)[1]] = value
    for message in messages:
        print_log(message, logger='current', level=logging.WARNING)
    return messages


#: Top-level keys that MMEngine's Runner (``from_cfg`` and the methods that
#: read ``runner.cfg``), mmpretrain's / mmwsol's tools and MMEngine's Config
#: read, plus the helper variables of OpenMMLab configs and of the shipped
#: configs (the test checks that no shipped config has another one).
KNOWN_CONFIG_KEYS = frozenset(
    (
        # Runner.__init__ / Runner.from_cfg
        'model',
        'work_dir',
        'train_dataloader',
        'val_dataloader',
        'test_dataloader',
        'train_cfg',
        'val_cfg',
        'test_cfg',
        'auto_scale_lr',
        'optim_wrapper',
        'param_scheduler',
        'val_evaluator',
        'test_evaluator',
        'default_hooks',
        'custom_hooks',
        'data_preprocessor',
        'load_from',
        'resume',
        'launcher',
        'env_cfg',
        'log_processor',
        'log_level',
        'visualizer',
        'default_scope',
        'randomness',
        'experiment_name',
        # read from runner.cfg by MMEngine, and by the tools
        'model_wrapper_cfg',
        'compile',
        'find_unused_parameters',
        'sync_bn',
        'efficient_conv_bn_eval',
        'activation_checkpointing',
        'runner_type',
        'custom_imports',
        '_base_',
        # read by the tools and the inferencer (mmwsol.utils.apply_box_rule)
        'box_rule',
        # helper variables of OpenMMLab configs
        'dataset_type',
        'data_root',
        'num_classes',
        'classes',
        'metainfo',
        'train_pipeline',
        'val_pipeline',
        'test_pipeline',
        'tta_model',
        'tta_pipeline',
        'backend_args',
        'file_client_args',
        'vis_backends',
        'bgr_mean',
        'bgr_std',
        'img_norm_cfg',
        'norm_cfg',
        'pretrained',
        'checkpoint',
        'model_cfg',
        # helper variables of the shipped configs (configs/nl_ccam)
        'leaky_act',
        'relu_act',
        'nl_high',
        'nl_low',
        'nl_vgg16',
    )
)


def unknown_config_keys(
    cfg: Config, known=KNOWN_CONFIG_KEYS
) -> List[Tuple[str, str]]:
    """Find the top-level config keys that nothing reads.

    A misspelt key (``test_evaluatr=...``) is otherwise silently ignored.
    Keys starting with ``_`` are private to the config and not reported.

    Args:
        cfg (Config): The config.
        known (Iterable[str]): The keys that are read.
            Defaults to :data:`KNOWN_CONFIG_KEYS`.

    Returns:
        list[tuple[str, str]]: ``(key, closest known key)`` per unknown key,
        in config order; the closest key (by :mod:`difflib`) is ``''`` when
        none is close.
    """
    known = sorted(set(known))
    found = []
    for key in cfg.keys():
        if key.startswith('_') or key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        found.append((key, close[0] if close else ''))
    return found


def warn_unknown_config_keys(cfg: Config) -> List[str]:
    """Warn about each top-level config key that nothing reads, naming the
    closest known key (see :func:`unknown_config_keys`).

    Args:
        cfg (Config): The config.

    Returns:
        list[str]: The warnings given.
    """
    messages = []
    for key, close in unknown_config_keys(cfg):
        hint = (
            f'did you mean `{close}`?'
            if close
            else 'if it is a variable used inside the config only, ignore this'
        )
        messages.append(
            f'config key `{key}` is not read by the runner or '
            f'the tools ({hint})'
        )
    for message in messages:
        print_log(message, logger='current', level=logging.WARNING)
    return messages
