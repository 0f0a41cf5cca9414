"""WSOLClassifier + CAMHead on mmpretrain backbones at their defaults."""

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.models import (
    ConvNeXt,
    DistilledVisionTransformer,
    VisionTransformer,
)
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

TINY_VIT = {
    'embed_dims': 8,
    'num_layers': 2,
    'num_heads': 2,
    'feedforward_channels': 16,
}
TINY_CONVNEXT = {'depths': [1, 1, 1, 1], 'channels': [4, 8, 12, 16]}
TINY_SWIN = {'embed_dims': 8, 'depths': [1, 1, 1, 1], 'num_heads': [1] * 4}


def _model(backbone, channels, head='CAMHead'):
    init_default_scope('mmwsol')
    head_cfg = dict(type=head, num_classes=3, in_channels=channels)
    model = MODELS.build(
        dict(type='WSOLClassifier', backbone=backbone, head=head_cfg)
    )
    model.init_weights()
    return model.eval()


def _check_maps(model, hw):
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, *hw), samples)
    for sample in out:
        cam = sample.gt_cam
        assert cam.shape == hw and torch.isfinite(cam).all()
        assert cam.min() >= 0 and cam.max() <= 1 and sample.gt_cam_valid


def _reference_logits(model, reference_backbone, x):
    """GAP + linear on the map of a backbone built directly with the
    spatial option, carrying the model's backbone weights."""
    reference_backbone.load_state_dict(model.backbone.state_dict())
    reference_backbone.eval()
    with torch.no_grad():
        fmap = reference_backbone(x)[-1]
        return fmap.mean(dim=(2, 3)) @ model.head.fc.weight.t() + (
            model.head.fc.bias
        )


def test_convnext_defaults():
    model = _model(dict(type='ConvNeXt', arch=TINY_CONVNEXT), 16)
    _check_maps(model, (64, 64))
    x = torch.randn(2, 3, 64, 64)
    ref = ConvNeXt(arch=TINY_CONVNEXT, gap_before_final_norm=False)
    with torch.no_grad():
        logits = model(x, mode='tensor')
    assert torch.allclose(logits, _reference_logits(model, ref, x), atol=1e-5)


@pytest.mark.parametrize(
    'cls', [VisionTransformer, DistilledVisionTransformer]
)
def test_vit_and_deit_defaults(cls):
    backbone = dict(
        type=cls.__name__, arch=TINY_VIT, img_size=64, patch_size=16
    )
    model = _model(backbone, 8)
    _check_maps(model, (64, 64))
    x = torch.randn(2, 3, 64, 64)
    ref = cls(arch=TINY_VIT, img_size=64, patch_size=16, out_type='featmap')
    with torch.no_grad():
        logits = model(x, mode='tensor')
    assert torch.allclose(logits, _reference_logits(model, ref, x), atol=1e-5)


def test_raw_tokens_non_square_grid():
    backbone = dict(
        type='VisionTransformer',
        arch=TINY_VIT,
        img_size=(64, 96),
        patch_size=16,
        out_type='raw',
    )
    model = _model(backbone, 8)
    feats = model.extract_feat(torch.randn(1, 3, 64, 96))
    assert feats[-1].shape == (1, 8, 4, 6)
    _check_maps(model, (64, 96))


def test_swin_small_input():
    backbone = dict(type='SwinTransformer', arch=TINY_SWIN, img_size=64)
    model = _model(backbone, 64)
    assert model.backbone.stages[3].blocks[0].attn.pad_small_map
    _check_maps(model, (64, 64))
    # a Swin configured for 224 and fed 96 px says which options to set
    model = _model(dict(type='SwinTransformer', arch=TINY_SWIN), 64)
    with pytest.raises(ValueError, match='img_size=96.*pad_small_map'):
        model.predict(torch.randn(1, 3, 96, 96))


def test_head_without_maps_keeps_backbone_defaults():
    model = _model(
        dict(type='ConvNeXt', arch=TINY_CONVNEXT), 16, head='LinearClsHead'
    )
    assert model.backbone.gap_before_final_norm is True
    feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert feats[-1].shape == (1, 16)


def test_built_backbone_error_names_the_option():
    model = _model(ConvNeXt(arch=TINY_CONVNEXT), 16)
    with pytest.raises(ValueError, match='gap_before_final_norm=False'):
        model.predict(torch.randn(1, 3, 64, 64))
    with pytest.raises(ValueError, match='stage='):
        model.extract_feat(torch.randn(1, 3, 64, 64), stage='head')
