from .box_rule_config import apply_box_rule
from .checkpoint import (
    CheckpointError,
    UnsafeCheckpointError,
    checkpoint_loading,
    load_checkpoint_file,
    safe_checkpoint_globals,
)
from .launch import (
    merge_cfg_options,
    set_dataloader_defaults,
    set_work_dir,
    setup_cpu_distributed,
)
from .setup_env import register_all_modules
from .state_dict import (
    CheckpointMismatchError,
    LoadReport,
    load_model_weights,
    load_state_dict_checked,
)

__all__ = [
    'CheckpointError',
    'CheckpointMismatchError',
    'LoadReport',
    'UnsafeCheckpointError',
    'apply_box_rule',
    'checkpoint_loading',
    'load_checkpoint_file',
    'load_model_weights',
    'load_state_dict_checked',
    'merge_cfg_options',
    'register_all_modules',
    'safe_checkpoint_globals',
    'set_dataloader_defaults',
    'set_work_dir',
    'setup_cpu_distributed',
]
