"""The wsolevaluation baselines' configs (issue #15, point 2): HaS, ACoL,
SPG, ADL and CutMix on VGG16 / ResNet50 / InceptionV3 x CUB / ImageNet /
OpenImages, plus one TinyWSOLNet config each on the synthetic set.

``test_all_configs.py`` builds every config's model and pipelines (it globs
``configs/``); here: the reference's defaults, learning-rate groups and
layer positions, the SPG maps, and one training step + prediction per
method on the synthetic configs.
"""

import functools
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
METHODS = ('has', 'acol', 'spg', 'adl', 'cutmix')
ARCHS = ('vgg16', 'resnet50', 'inception-v3')
DATASETS = {'cub': 200, 'imagenet': 1000, 'openimages': 100}
REAL = [
    (m, a, d) for m in METHODS for a in ARCHS for d in DATASETS
]  # 45 configs

# wsolevaluation's ADL positions (wsol/{vgg,resnet,inception}.py) as module
# names of our backbones, with the channels of the map each layer sees
ADL_POSITIONS = {
    'vgg16': (
        ('features.9', 'features.12', 'features.16'),  # pool3, conv4_3, 5_3
        (256, 512, 512),
    ),
    'resnet50': (('layer3.0', 'layer4.0', 'layer4.2'), (1024, 2048, 2048)),
    'inception-v3': (('Mixed_5d', 'Mixed_6e', 'spg.relu2'), (288, 768, 1024)),
}


@functools.lru_cache(maxsize=None)
def _config(name):
    return Config.fromfile(osp.join(ROOT, 'configs', name))


def _real(method, arch, data):
    return _config(f'{method}/{method}_{arch}_1xb32_{data}.py')


def _synthetic(method):
    return _config(f'{method}/{method}_tinynet_1xb32_synthetic.py')


def _build(cfg, **backbone_overrides):
    init_default_scope('mmwsol')
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)  # no download in tests
    model_cfg.backbone.update(backbone_overrides)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    return MODELS.build(model_cfg)


@pytest.mark.parametrize(
    'method, arch, data', REAL, ids=['_'.join(c) for c in REAL]
)
def test_real_configs_keep_the_cam_protocol(method, arch, data):
    """Same data, schedule and weights as the CAM config of the cell."""
    cfg = _real(method, arch, data)
    cam = _config(f'cam/cam_{arch}_1xb32_{data}.py')
    assert cfg.model.head.num_classes == DATASETS[data]
    assert cfg.data_preprocessor.num_classes == DATASETS[data]
    for key in ('train_dataloader', 'test_dataloader', 'test_evaluator'):
        assert cfg[key] == cam[key], key
    assert cfg.param_scheduler == cam.param_scheduler
    assert cfg.train_cfg == cam.train_cfg
    assert cfg.optim_wrapper.optimizer == cam.optim_wrapper.optimizer
    assert cfg.model.backbone.init_cfg == cam.model.backbone.init_cfg


@pytest.mark.parametrize('method', ('has', 'cutmix'))
@pytest.mark.parametrize('arch', ARCHS + ('tinynet',))
def test_batch_augments_with_the_reference_defaults(method, arch):
    expected = dict(
        has=dict(type='HideAndSeek', grid_size=4, drop_rate=0.5),
        cutmix=dict(type='CutMix', alpha=1.0),  # no probs: always applied
    )[method]
    names = (
        [f'{method}/{method}_{arch}_1xb32_{d}.py' for d in DATASETS]
        if arch != 'tinynet'
        else [f'{method}/{method}_tinynet_1xb32_synthetic.py']
    )
    for name in names:
        cfg = _config(name)
        augments = cfg.data_preprocessor.batch_augments
        assert augments.to_dict() == dict(augments=expected), name
        assert cfg.model.head.type == 'CAMHead'
        assert cfg.model.head.loss.use_soft is True
    # the preprocessor of the config hides / pastes in training only
    torch.manual_seed(0)
    pre = MODELS.build(
        dict(type='ClsDataPreprocessor', **cfg.data_preprocessor)
    )
    images = [
        torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(4)
    ]
    data = dict(
        inputs=images,
        data_samples=[DataSample().set_gt_label(i) for i in range(4)],
    )
    plain = pre(data, training=False)['inputs']
    changed = 0
    for seed in range(5):  # CutMix may draw an empty box or the identity
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = pre(data, training=True)
        changed += not torch.equal(out['inputs'], plain)
        scores = torch.stack([s.gt_score for s in out['data_samples']])
        assert torch.allclose(scores.sum(1), torch.ones(4))
    assert changed >= 3


@pytest.mark.parametrize('arch', ARCHS)
def test_method_defaults_of_the_model_configs(arch):
    for data in DATASETS:
        acol = _real('acol', arch, data).model
        assert acol.head.type == 'ACoLHead'
        assert acol.head.erase_threshold == 0.7
        assert acol.head.mid_channels == 1024
        assert acol.head.smooth_features is (arch == 'vgg16')
        assert acol.localizer.type == 'ACoLCAM'
        spg = _real('spg', arch, data).model
        assert spg.head.type == 'SPGHead'
        assert [list(t) for t in spg.head.thresholds] == [
            [0.7, 0.01],
            [0.5, 0.05],
            [0.7, 0.1],
        ]
        assert tuple(spg.head.mask_size) == (224, 224)
        assert spg.localizer.type == 'CAM'
        adl = _real('adl', arch, data).model
        names, _ = ADL_POSITIONS[arch]
        assert [i.after for i in adl.backbone.insert] == list(names)
        for item in adl.backbone.insert:
            assert item.module.to_dict() == dict(
                type='ADL', drop_rate=0.75, drop_threshold=0.9
            )


def _reference_group_is_10x(method, arch, name):
    """wsolevaluation main.py's 10x group, on our parameter names.

    VGG16: every parameter outside ``features.`` -- for SPG the reference
    moves conv4_x / conv5_x out of ``features`` (its SPG_A_1 / SPG_A_2),
    i.e. our ``features.10`` .. ``features.16``; ResNet50: ``layer4.`` and
    ``fc.`` only; InceptionV3: every parameter outside ``Mixed*`` and
    ``Conv2d_*``.
    """
    if arch == 'vgg16':
        if '.features.' not in name:
            return True
        index = int(name.split('.features.')[1].split('.')[0])
        return method == 'spg' and index >= 10
    if arch == 'resnet50':
        return 'layer4.' in name or name.startswith('head.fc.')
    return 'Mixed' not in name and 'Conv2d_' not in name


@functools.lru_cache(maxsize=None)
def _cub_model(method, arch):
    return _build(_real(method, arch, 'cub'))


@pytest.mark.parametrize('method', ('acol', 'spg', 'adl'))
@pytest.mark.parametrize('arch', ARCHS)
def test_lr_groups_are_the_references(method, arch):
    cfg = _real(method, arch, 'cub')
    model = _cub_model(method, arch)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = group['lr']
    base = cfg.optim_wrapper.optimizer.lr
    tens = 0
    for name, p in model.named_parameters():
        ten = _reference_group_is_10x(method, arch, name)
        tens += ten
        assert lrs[id(p)] == pytest.approx(base * (10 if ten else 1)), name
    assert 0 < tens < len(lrs)


@functools.lru_cache(maxsize=None)
def _cam_backbone_shapes(arch):
    """Parameter shapes of the CAM config's backbone (what mmpretrain's
    ImageNet checkpoint fills)."""
    cfg = _config(f'cam/cam_{arch}_1xb32_cub.py').model.backbone.copy()
    cfg.pop('init_cfg')
    init_default_scope('mmwsol')
    return {k: v.shape for k, v in MODELS.build(cfg).state_dict().items()}


@pytest.mark.parametrize('arch', ARCHS)
def test_adl_sits_at_the_reference_positions(arch):
    names, channels = ADL_POSITIONS[arch]
    cfg = _real('adl', arch, 'cub')
    model = _cub_model('adl', arch)
    wrapped = dict(model.backbone.backbone.named_modules())
    assert all(n in wrapped for n in names)
    assert model.backbone.insert_after == list(names)
    # the wrapped backbone is the CAM one: the same pretrained checkpoint
    # (and a CAM-trained one) fits it
    inner = {
        k: v.shape for k, v in model.backbone.backbone.state_dict().items()
    }
    assert inner == _cam_backbone_shapes(arch)
    # each ADL layer runs once per forward, on the named module's output
    seen = []
    for key, layer in model.backbone.inserted.items():
        assert type(layer).__name__ == 'ADL'
        layer.register_forward_hook(
            lambda m, args, out, key=key: seen.append((key, args[0].shape[1]))
        )
    x = torch.randn(2, 3, 64, 64)
    # the same weights without ADL: equal in evaluation (ADL is the
    # identity there) ...
    plain = _build(cfg, insert=[])
    plain.load_state_dict(model.state_dict(), strict=True)
    model.eval()
    plain.eval()
    with torch.no_grad():
        assert torch.equal(model(x, mode='tensor'), plain(x, mode='tensor'))
    seen.clear()
    # ... not in training (no dropout in these models: ADL is the only
    # difference), where each ADL layer runs once per forward, on the
    # named module's output
    model.train()
    plain.train()
    with torch.no_grad():
        torch.manual_seed(1)
        with_adl = model(x, mode='tensor')
        torch.manual_seed(1)
        assert not torch.allclose(plain(x, mode='tensor'), with_adl)
    assert seen == [(n.replace('.', '_'), c) for n, c in zip(names, channels)]


@pytest.mark.parametrize('arch', ARCHS)
def test_spg_maps_match_the_heads_channels(arch):
    head = _real('spg', arch, 'cub').model.head
    backbone_cfg = _real('spg', arch, 'cub').model.backbone.copy()
    backbone_cfg.pop('init_cfg')
    init_default_scope('mmwsol')
    backbone = MODELS.build(backbone_cfg).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 128, 128))
    picked = [feats[i] for i in head.feat_indices]
    assert [f.shape[1] for f in picked] == list(head.in_channels)
    # f1 is an intermediate map, f3 the last (the class maps' input)
    assert feats[-1] is picked[2]
    # every backbone weight is one of the CAM backbone's (the pretrained
    # checkpoint covers it); only VGG16 drops conv6
    inner = getattr(backbone, 'backbone', backbone)
    shapes = {k: v.shape for k, v in inner.state_dict().items()}
    cam = _cam_backbone_shapes(arch)
    assert all(cam[k] == v for k, v in shapes.items())
    assert {k.split('.')[0] for k in set(cam) - set(shapes)} == (
        {'conv6'} if arch == 'vgg16' else set()
    )


SYNTHETIC_LOSSES = {
    'has': {'loss'},
    'cutmix': {'loss'},
    'adl': {'loss'},
    'acol': {'loss_a', 'loss_b'},
    'spg': {'loss_cls', 'loss_b1', 'loss_b2', 'loss_c'},
}


@pytest.mark.parametrize('method', METHODS)
def test_synthetic_config_trains_and_predicts(method):
    cfg = _synthetic(method)
    cam = _config('cam/cam_tinynet_1xb32_synthetic.py')
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'randomness'):
        assert cfg[key] == cam[key], key  # the CAM demo's budget
    torch.manual_seed(0)
    model = _build(cfg)
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    size = 64
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
            for _ in range(4)
        ],
        data_samples=[DataSample().set_gt_label(i % 6) for i in range(4)],
    )
    model.train()
    before = [p.detach().clone() for p in model.head.parameters()]
    log = model.train_step(data, wrapper)
    assert SYNTHETIC_LOSSES[method] <= set(log)
    assert all(torch.isfinite(log[k]) for k in SYNTHETIC_LOSSES[method])
    after = list(model.head.parameters())
    assert any(not torch.equal(b, a) for b, a in zip(before, after))
    model.eval()
    with torch.no_grad():
        out = model.test_step(
            dict(
                inputs=data['inputs'][:2],
                data_samples=[DataSample().set_gt_label(1) for _ in range(2)],
            )
        )
    for sample in out:
        cam_map = sample.gt_cam
        assert cam_map.shape == (size, size)
        assert torch.isfinite(cam_map).all()
        assert cam_map.min() >= 0 and cam_map.max() <= 1
        assert sample.pred_score.shape == (6,)


def test_synthetic_spg_and_adl_layouts():
    spg = _synthetic('spg').model
    assert tuple(spg.head.mask_size) == (128, 128)
    init_default_scope('mmwsol')
    backbone_cfg = spg.backbone.copy()
    backbone = MODELS.build(backbone_cfg).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 128, 128))
    assert [tuple(f.shape[1:]) for f in feats] == [
        (128, 32, 32),  # stages.2.0 (extra output, first)
        (128, 16, 16),  # stage 2
        (256, 16, 16),  # stage 3
    ]
    assert [feats[i].shape[1] for i in spg.head.feat_indices] == list(
        spg.head.in_channels
    )
    adl = _synthetic('adl').model.backbone
    assert [i.after for i in adl.insert] == [
        'stages.2',
        'stages.3.0',
        'stages.3',
    ]
