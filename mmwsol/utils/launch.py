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
