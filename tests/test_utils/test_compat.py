"""Launch helpers of the tools (dataloader defaults, CPU distributed)."""

import torch
from mmengine.config import Config

from mmwsol.utils import set_dataloader_defaults, setup_cpu_distributed


def test_dataloader_defaults_respect_num_workers():
    cfg = Config(
        dict(
            train_dataloader=dict(batch_size=2, num_workers=0),
            val_dataloader=dict(batch_size=2, num_workers=2),
            test_dataloader=None,
        )
    )
    set_dataloader_defaults(cfg)
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.val_dataloader.persistent_workers is True
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    if not torch.cuda.is_available():
        assert cfg.val_dataloader.pin_memory is False
    set_dataloader_defaults(cfg, persistent_workers=False)
    assert cfg.val_dataloader.persistent_workers is False


def test_cpu_distributed_noop_without_launcher():
    cfg = Config(dict(model_wrapper_cfg=None))
    assert setup_cpu_distributed(cfg, 'none') is False
    assert cfg.model_wrapper_cfg is None
