from .compat import (apply_compat, load_local_checkpoint,
                     patch_checkpoint_loader, patch_numpy_aliases)
from .setup_env import register_all_modules

__all__ = [
    'apply_compat', 'load_local_checkpoint', 'patch_checkpoint_loader',
    'patch_numpy_aliases', 'register_all_modules'
]
