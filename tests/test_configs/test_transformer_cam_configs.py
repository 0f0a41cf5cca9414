"""CAM configs on ConvNeXt-T, Swin-T and DeiT-S (issue #14, point 5): the
pretrained weights are mmpretrain's and fit the backbone, maps at 224 px,
AdamW with the head's 10x lr, one training step."""

import functools
import os.path as osp

import mmpretrain
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MIM = osp.join(osp.dirname(mmpretrain.__file__), '.mim')

# family: (mmpretrain model whose weights the config loads, map side at 224
# px: stride 32 for ConvNeXt / Swin, the 16 px patch grid for DeiT; input
# side of the training step: small where the backbone allows it, Swin's
# img_size 224 where its window needs it)
FAMILIES = {
    'convnext-t': ('convnext-tiny_32xb128_in1k', 7, 64),
    'swin-t': ('swin-tiny_16xb64_in1k', 7, 224),
    'deit-s': ('deit-small_4xb256_in1k', 14, 64),
}
DATASETS = {'cub': 200, 'imagenet': 1000}


def _config(family, data='cub'):
    return Config.fromfile(
        osp.join(ROOT, 'configs', 'cam', f'cam_{family}_1xb32_{data}.py')
    )


def _mmpretrain_model(name):
    """The metafile entry of an mmpretrain model (its Weights, Config)."""
    index = yaml.safe_load(open(osp.join(MIM, 'model-index.yml')))
    for path in index['Import']:
        meta = yaml.safe_load(open(osp.join(MIM, path)))
        for model in meta.get('Models', []):
            if model['Name'] == name:
                return model
    raise KeyError(name)


def _build(cfg):
    init_default_scope('mmwsol')
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)  # no download in tests
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    return MODELS.build(model_cfg)


@functools.lru_cache(maxsize=None)
def _model(family):
    """The CUB config's model, built once per family (random weights)."""
    return _build(_config(family))


@pytest.mark.parametrize('family', FAMILIES)
def test_weights_are_mmpretrains_and_fit_the_backbone(family):
    name = FAMILIES[family][0]
    meta = _mmpretrain_model(name)
    for data in DATASETS:
        init = _config(family, data).model.backbone.init_cfg
        assert init.type == 'Pretrained' and init.prefix == 'backbone.'
        assert init.checkpoint == meta['Weights']
    # the checkpoint's backbone is mmpretrain's model of that config: ours
    # (after WSOLClassifier's spatial-output settings) has the same
    # parameters and buffers, so every weight loads
    theirs_cfg = Config.fromfile(osp.join(MIM, meta['Config'])).model
    init_default_scope('mmpretrain')
    theirs = PRETRAIN_MODELS.build(theirs_cfg.backbone).state_dict()
    ours = _model(family).backbone.state_dict()
    assert {k: v.shape for k, v in ours.items()} == {
        k: v.shape for k, v in theirs.items()
    }


@pytest.mark.parametrize('family', FAMILIES)
def test_map_at_224_and_logits(family):
    side = FAMILIES[family][1]
    for data, num_classes in DATASETS.items():
        cfg = _config(family, data)
        assert cfg.model.head.num_classes == num_classes
        assert cfg.data_preprocessor.num_classes == num_classes
    model = _model(family).eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 224, 224))
        cam_map = model.head.cam_features(feats)
    assert cam_map.shape == (1, model.head.in_channels, side, side)


@pytest.mark.parametrize('family', FAMILIES)
def test_adamw_head_lr_and_one_training_step(family):
    cfg = _config(family)
    model = _model(family)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimizer = wrapper.optimizer
    assert type(optimizer).__name__ == 'AdamW'
    base = cfg.optim_wrapper.optimizer.lr
    lrs, decays = {}, {}
    for group in optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = group['lr']
            decays[id(p)] = group['weight_decay']
    # the new classifier learns 10x faster than the pretrained backbone
    assert lrs[id(model.head.fc.weight)] == pytest.approx(10 * base)
    first = next(model.backbone.parameters())
    assert lrs[id(first)] == pytest.approx(base)
    # no weight decay on norms
    norm = next(
        m
        for m in model.backbone.modules()
        if isinstance(m, (torch.nn.LayerNorm, torch.nn.GroupNorm))
    )
    assert decays[id(norm.weight)] == 0
    # one step, batch 2: finite loss, the head's weights move
    size = FAMILIES[family][2]
    model.train()
    before = model.head.fc.weight.detach().clone()
    data = dict(
        inputs=[torch.randint(0, 256, (3, size, size), dtype=torch.uint8)] * 2,
        data_samples=[DataSample().set_gt_label(i) for i in (0, 1)],
    )
    log = model.train_step(data, wrapper)
    assert torch.isfinite(log['loss'])
    assert not torch.equal(before, model.head.fc.weight)
