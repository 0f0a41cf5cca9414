from .compat import (apply_compat, load_local_checkpoint,
                     patch_checkpoint_loader, patch_numpy_aliases)
from .launch import (merge_cfg_options, set_dataloader_defaults,
                     set_work_dir, setup_cpu_distributed)
from .setup_env import register_all_modules

__all__ = [
    'apply_compat', 'load_local_checkpoint', 'merge_cfg_options',
    'patch_checkpoint_loader',
    'patch_numpy_aliases', 'register_all_modules', 'set_dataloader_defaults',
    'set_work_dir', 'setup_cpu_distributed'
]
