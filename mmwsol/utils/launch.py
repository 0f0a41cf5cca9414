"""Helpers shared by ``tools/train.py`` and ``tools/test.py``."""
import os
from copy import deepcopy
from datetime import timedelta
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict

_LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def set_dataloader_defaults(cfg: Config,
                            pin_memory: bool = True,
                            persistent_workers: bool = True) -> Config:
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
        merged.setdefault('pin_memory',
                          pin_memory and torch.cuda.is_available())
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
            '--launcher pytorch (torchrun), which runs on gloo.')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(f'--launcher pytorch needs ${key}; start the '
                               'job with torchrun (tools/dist_train.sh).')
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


def set_work_dir(cfg: Config, config_path: str,
                 work_dir: Optional[str]) -> Config:
    """Set ``cfg.work_dir``: CLI, then the config, then the config's name."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = os.path.join(
            './work_dirs',
            os.path.splitext(os.path.basename(config_path))[0])
    return cfg


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> Config:
    """Merge ``--cfg-options`` into a config, with a clear error for a key
    that walks into a list by name.

    MMEngine fails with ``TypeError: list indices must be integers`` when,
    e.g., ``test_evaluator.cam_curve_interval=0.001`` meets a config whose
    ``test_evaluator`` is a list of metrics; the right key is then
    ``test_evaluator.0.cam_curve_interval``.

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): The parsed ``--cfg-options``.

    Returns:
        Config: The same config.

    Raises:
        ValueError: A key names a field of a list; the message names the
            key, the list and the index form to use.
    """
    if not options:
        return cfg
    plain = cfg.to_dict()
    for key in options:
        node, parts = plain, key.split('.')
        for depth, part in enumerate(parts):
            if isinstance(node, (list, tuple)):
                if not part.isdigit():
                    where = '.'.join(parts[:depth])
                    raise ValueError(
                        f'--cfg-options {key}: `{where}` is a list of '
                        f'{len(node)} items, index it by position, e.g. '
                        f"{where}.0.{'.'.join(parts[depth:])}")
                index = int(part)
                node = node[index] if index < len(node) else None
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                break  # a new key: MMEngine creates it
    cfg.merge_from_dict(options)
    return cfg
