"""Every config builds its model and runs its pipelines on fixture data."""

import glob
import os.path as osp
import shutil

import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmwsol.registry import DATASETS, MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p
)


@pytest.fixture(scope='module')
def fixture_roots(tmp_path_factory):
    """A box-annotated and a mask-annotated (OpenImages-style) data root."""
    from mmwsol.synthetic import generate_synthetic_dataset

    boxes = str(tmp_path_factory.mktemp('boxes'))
    generate_synthetic_dataset(
        boxes,
        num_classes=3,
        num_train=2,
        num_val=1,
        num_test=1,
        image_size=(70, 50),
        seed=1,
    )
    masks = str(tmp_path_factory.mktemp('masks'))
    shutil.rmtree(masks)
    shutil.copytree(boxes, masks)
    for split in ('val', 'test'):
        meta = osp.join(masks, 'metadata', split)
        shutil.copy(
            osp.join(meta, 'localization_mask.txt'),
            osp.join(meta, 'localization.txt'),
        )
    return dict(boxes=boxes, masks=masks)


def test_configs_are_found():
    names = {osp.basename(p) for p in CONFIGS}
    for arch in ('vgg16', 'resnet50', 'inception-v3'):
        for data in ('cub', 'imagenet', 'openimages'):
            assert f'cam_{arch}_1xb32_{data}.py' in names
    for arch in ('convnext-t', 'swin-t', 'deit-s'):
        for data in ('cub', 'imagenet'):
            assert f'cam_{arch}_1xb32_{data}.py' in names
    assert 'cam_tinynet_1xb32_synthetic.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_model_and_pipelines(path, fixture_roots):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmwsol'
    # model: no pretrained download in tests
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)
    model_cfg['data_preprocessor'] = cfg.data_preprocessor
    # PyTorch's default initialisation (init_weights is checked once per
    # backbone family below: it costs more than the forward pass here)
    model = MODELS.build(model_cfg)
    model.eval()
    num_classes = cfg.model.head.num_classes
    assert cfg.data_preprocessor.num_classes == num_classes
    # a config that states its input size (Swin: the window) is run at it;
    # the others at 64 px (every layout keeps a map of at least 2 x 2)
    size = cfg.model.backbone.get('img_size', 64)
    with torch.no_grad():
        logits = model(torch.randn(2, 3, size, size), mode='tensor')
        assert logits.shape == (2, num_classes)
        out = model.predict(
            torch.randn(1, 3, size, size),
            [DataSample().set_gt_label(num_classes - 1)],
        )
    assert out[0].gt_cam.shape == (size, size)
    k = min(cfg.model.topk_maps, num_classes)
    assert len(out[0].get('pred_cams', ())) == k

    # pipelines on fixture data laid out like the real datasets
    is_mask = (
        cfg.test_evaluator['type'] == 'WSOLMaskMetric'
        if isinstance(cfg.test_evaluator, dict)
        else False
    )
    data_root = fixture_roots['masks' if is_mask else 'boxes']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds_cfg = cfg[loader].dataset.copy()
        ds_cfg.data_root = data_root
        ds_cfg.pop('classes', None)  # the fixture has fewer classes
        dataset = DATASETS.build(ds_cfg)
        item = dataset[0]
        inputs, sample = item['inputs'], item['data_samples']
        assert inputs.dim() == 3 and inputs.shape[0] == 3
        assert 'gt_label' in sample
        if loader != 'train_dataloader':
            assert 'ori_gt_bboxes' in sample or 'gt_mask' in sample
            if is_mask:
                assert sample.gt_mask.shape == inputs.shape[1:]


INIT_CONFIGS = [
    'cam/cam_vgg16_1xb32_cub.py',
    'cam/cam_resnet50_1xb32_cub.py',
    'cam/cam_inception-v3_1xb32_cub.py',
    'cam/cam_tinynet_1xb32_synthetic.py',
    'spa/spa_vgg16_1xb32_cub.py',
    'acol/acol_resnet50_1xb32_cub.py',
    'spg/spg_inception-v3_1xb32_cub.py',
    'adl/adl_vgg16_1xb32_cub.py',
    'ts_cam/ts-cam_deit-t_1xb128_cub.py',
]


@pytest.mark.parametrize('name', INIT_CONFIGS)
def test_init_weights_runs_per_model_family(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.init_weights()
    changed = [
        k for k, v in model.state_dict().items() if not v.equal(before[k])
    ]
    assert changed  # the config's init_cfg entries ran


def test_classifier_layers_get_10x_lr():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'cam', 'cam_vgg16_1xb32_cub.py')
    )
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert (
        keys['head'].lr_mult == 10.0 and keys['backbone.conv6'].lr_mult == 10.0
    )
    assert cfg.optim_wrapper.optimizer.nesterov is True
    assert cfg.optim_wrapper.optimizer.momentum == 0.9
    # the optimizer really applies them
    from mmengine.optim import build_optim_wrapper

    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    base = cfg.optim_wrapper.optimizer.lr
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = group['lr']
    assert lrs[id(model.head.fc.weight)] == pytest.approx(10 * base)
    assert lrs[id(model.backbone.conv6.conv.weight)] == pytest.approx(
        10 * base
    )
    first_conv = next(model.backbone.features.parameters())
    assert lrs[id(first_conv)] == pytest.approx(base)
