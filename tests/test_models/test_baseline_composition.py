"""A checkpoint trained with a wsolevaluation baseline is evaluated with the
test-time localizers already in mmwsol, by config only (issue #15, point 4).

An ADL model (``configs/adl/adl_tinynet_1xb32_synthetic.py``: ADL layers
inserted into TinyWSOLNet with ``InsertLayers``) trains two steps, is saved
as a checkpoint file, and is loaded into the same config with
``model.localizer`` swapped for CAM, CCAM, SCG and BagCAMs -- no new code.
"""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'adl', 'adl_tinynet_1xb32_synthetic.py')
SIZE = 64

# localizer -> (its config, backbone overrides the localizer needs)
LOCALIZERS = {
    'CAM': (dict(type='CAM'), {}),
    'CCAM': (
        dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
        {},
    ),
    # SCG reads two maps: the wrapped TinyWSOLNet returns stages 2 and 3
    # (the checkpoint's weights are the same)
    'SCG': (dict(type='SCG'), dict(out_indices=(2, 3))),
    'BagCAMs': (dict(type='BagCAMs', layer='backbone.backbone.stages.3'), {}),
}


def _build(localizer=None, backbone_overrides=None):
    init_default_scope('mmwsol')
    cfg = Config.fromfile(CONFIG)
    model_cfg = cfg.model.copy()
    if localizer is not None:
        model_cfg['localizer'] = localizer
    if backbone_overrides:
        model_cfg.backbone.backbone.update(backbone_overrides)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    return MODELS.build(model_cfg), cfg


def _images(n, seed):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8, generator=g)
        for _ in range(n)
    ]


@pytest.fixture(scope='module')
def adl_checkpoint(tmp_path_factory):
    """Train the ADL synthetic model two steps and save its checkpoint."""
    torch.manual_seed(0)
    model, cfg = _build()
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    for step in range(2):
        data = dict(
            inputs=_images(4, step),
            data_samples=[DataSample().set_gt_label(i % 6) for i in range(4)],
        )
        log = model.train_step(data, wrapper)
        assert torch.isfinite(log['loss'])
    path = str(tmp_path_factory.mktemp('adl') / 'adl_tinynet.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    model.eval()
    return path, model


def _predict(model):
    data = dict(
        inputs=_images(2, 10),
        data_samples=[DataSample().set_gt_label(k) for k in (1, 4)],
    )
    with torch.no_grad():
        return model.test_step(data)


@pytest.mark.parametrize('name', LOCALIZERS)
def test_adl_checkpoint_with_other_localizers(adl_checkpoint, name):
    path, trained = adl_checkpoint
    localizer, overrides = LOCALIZERS[name]
    model, _ = _build(localizer, overrides)
    # every weight of the checkpoint fits (the ADL layers have none)
    missing = set(model.state_dict()) ^ set(trained.state_dict())
    assert not missing
    load_checkpoint(model, path, map_location='cpu', strict=True)
    model.eval()
    assert type(model.localizer).__name__ == name
    assert [type(m).__name__ for m in model.backbone.inserted.values()] == [
        'ADL'
    ] * 3
    out = _predict(model)
    for sample in out:
        cam_map = sample.gt_cam
        assert cam_map.shape == (SIZE, SIZE)
        assert torch.isfinite(cam_map).all()
        assert cam_map.min() >= 0 and cam_map.max() <= 1
        assert cam_map.max() > cam_map.min()  # not a constant map
    # the loaded model is the trained one (same logits)
    reference = _predict(trained)
    for a, b in zip(out, reference):
        assert torch.allclose(a.pred_score, b.pred_score, atol=1e-6)
    if name == 'CAM':
        for a, b in zip(out, reference):
            assert torch.allclose(a.gt_cam, b.gt_cam, atol=1e-6)
