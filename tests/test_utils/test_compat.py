import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmwsol.utils import (apply_compat, set_dataloader_defaults,
                          setup_cpu_distributed)


def test_mmengine_checkpoint_with_history_buffer_loads(tmp_path):
    apply_compat()
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = dict(
        state_dict={'w': torch.ones(2)},
        message_hub=dict(log_scalars={'loss': buf}, step=np.int64(3)))
    path = tmp_path / 'epoch_1.pth'
    torch.save(ckpt, path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5


def test_numpy_aliases():
    apply_compat()
    assert np.float is float
    assert np.in1d(np.array([1, 2]), np.array([2])).tolist() == [False, True]
    assert np.trapz(np.array([0., 1.])) == 0.5


def test_dataloader_defaults_respect_num_workers():
    cfg = Config(
        dict(
            train_dataloader=dict(batch_size=2, num_workers=0),
            val_dataloader=dict(batch_size=2, num_workers=2),
            test_dataloader=None))
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
