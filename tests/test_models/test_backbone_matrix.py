"""The backbone matrix (issue #14, point 4): CAM and Grad-CAM on a middle
layer with every mmpretrain backbone family, at its default output
settings (tiny architectures, 64 px; Swin at its 224 px window size)."""

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

TINY_VIT = dict(
    embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32
)


def _hr_stage(branches, block='BASIC'):
    return dict(
        num_modules=1,
        num_branches=branches,
        block=block,
        num_blocks=(1,) * branches,
        num_channels=(8, 16, 32, 64)[:branches],
    )


TINY_HRNET = dict(
    stage1=_hr_stage(1, 'BOTTLENECK'),
    stage2=_hr_stage(2),
    stage3=_hr_stage(3),
    stage4=_hr_stage(4),
)

# name: (backbone config, channels of the head's input, Grad-CAM layer,
#        input size[, neck config])
CASES = {
    'ResNet': (
        dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
        64,
        'backbone.layer2',
        64,
    ),
    'EfficientNet': (
        dict(type='EfficientNet', arch='b0'),
        1280,
        'backbone.layers.4',
        64,
    ),
    'MobileNetV2': (
        dict(type='MobileNetV2', widen_factor=0.25),
        1280,
        'backbone.layer4',
        64,
    ),
    'MobileNetV3': (
        dict(type='MobileNetV3', arch='small'),
        576,
        'backbone.layer6',
        64,
    ),
    'DenseNet': (
        dict(
            type='DenseNet',
            arch=dict(growth_rate=8, depths=[1, 1, 1, 1], init_channels=8),
        ),
        16,
        'backbone.stages.1',
        64,
    ),
    'Res2Net': (
        dict(type='Res2Net', depth=50, stem_channels=8, base_channels=8),
        256,
        'backbone.layer2',
        64,
    ),
    'PoolFormer': (
        dict(
            type='PoolFormer',
            arch=dict(
                layers=[1, 1, 1, 1],
                embed_dims=[8, 16, 32, 64],
                mlp_ratios=[2, 2, 2, 2],
                layer_scale_init_value=1e-5,
            ),
        ),
        64,
        'backbone.network.2',
        64,
    ),
    'RegNet': (
        dict(type='RegNet', arch='regnetx_400mf'),
        384,
        'backbone.layer2',
        64,
    ),
    # CAM on the default output: the 1/32 branch only
    'HRNet': (dict(type='HRNet', extra=TINY_HRNET), 64, 'backbone.stage3', 64),
    # all branches fused at 1/4 (8 + 16 + 32 + 64 channels)
    'HRNet+HRFuseNeck': (
        dict(type='HRNet', extra=TINY_HRNET),
        120,
        'backbone.stage3',  # returns a list of branches: the last one
        64,
        dict(type='HRFuseNeck'),
    ),
    'VAN': (
        dict(
            type='VAN',
            arch=dict(
                embed_dims=[8, 16, 32, 64],
                depths=[1, 1, 1, 1],
                ffn_ratios=[2, 2, 2, 2],
            ),
        ),
        64,
        'backbone.blocks2',  # a ModuleList
        64,
    ),
    'ViT': (
        dict(
            type='VisionTransformer', arch=TINY_VIT, img_size=64, patch_size=16
        ),
        16,
        'backbone.layers.0',  # a transformer block: tokens
        64,
    ),
    'DeiT': (
        dict(
            type='DistilledVisionTransformer',
            arch=TINY_VIT,
            img_size=64,
            patch_size=16,
        ),
        16,
        'backbone.layers.0',
        64,
    ),
    'Swin': (
        dict(
            type='SwinTransformer',
            arch=dict(
                embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1]
            ),
        ),
        64,
        'backbone.stages.2',  # returns (tokens, hw)
        224,
    ),
    'ConvNeXt': (
        dict(
            type='ConvNeXt',
            arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
        ),
        64,
        'backbone.stages.2',
        64,
    ),
}
LOCALIZERS = ('CAM', 'GradCAM')


def _check(samples, size):
    for sample in samples:
        for maps, valid in (
            (sample.gt_cam[None], [sample.gt_cam_valid]),
            (sample.pred_cams, sample.pred_cams_valid),
        ):
            assert maps.shape == (1, size, size)
            assert torch.isfinite(maps).all() and all(valid)
            assert maps.min() >= 0 and maps.max() <= 1
            # min-max normalised: a non-constant map reaches both ends
            assert torch.allclose(maps.amin(dim=(1, 2)), torch.zeros(1))
            assert torch.allclose(maps.amax(dim=(1, 2)), torch.ones(1))


@pytest.mark.parametrize('name', list(CASES))
def test_cam_and_gradcam_on_any_backbone(name):
    init_default_scope('mmwsol')
    backbone, channels, layer, size, *neck = CASES[name]
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=backbone,
            neck=neck[0] if neck else None,
            head=dict(type='CAMHead', num_classes=3, in_channels=channels),
            localizer=dict(type='CAM'),
        )
    )
    model.eval()
    with torch.no_grad():  # random, non-zero class weights
        model.head.fc.weight.normal_()
    x = torch.randn(2, 3, size, size)
    for localizer in LOCALIZERS:
        cfg = dict(type=localizer)
        if localizer != 'CAM':
            # no ReLU: with random weights a map may be all negative
            cfg.update(layer=layer, relu=False)
        model.localizer = MODELS.build(cfg)
        samples = [DataSample().set_gt_label(label) for label in (0, 2)]
        with torch.no_grad():
            _check(model.predict(x, samples), size)
