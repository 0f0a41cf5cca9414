import pytest
import torch
from mmpretrain.models import ConvNeXt, SwinTransformer, VisionTransformer

from mmwsol.models.utils import (
    RULES,
    as_feature_maps,
    run_backbone,
    spatial_backbone_cfg,
    spatial_option_hint,
)

TINY_VIT = {
    'embed_dims': 8,
    'num_layers': 1,
    'num_heads': 2,
    'feedforward_channels': 16,
}


def test_every_rule_has_a_test_below():
    assert {r.option for r in RULES} == {
        'gap_before_final_norm',
        'out_type',
        'pad_small_map',
    }


def test_rule_gap_before_final_norm():
    cfg = dict(type='ConvNeXt', arch='atto')
    new, notes = spatial_backbone_cfg(cfg)
    assert new['gap_before_final_norm'] is False
    assert 'gap_before_final_norm' not in cfg  # input left unchanged
    assert len(notes) == 1 and 'ConvNeXt' in notes[0]
    assert 'gap_before_final_norm=False' in notes[0]
    # already spatial: nothing to do, nothing logged
    same, notes = spatial_backbone_cfg(dict(cfg, gap_before_final_norm=False))
    assert notes == [] and same['gap_before_final_norm'] is False
    # the same rule holds for the other backbones with that option
    new, _ = spatial_backbone_cfg(dict(type='EdgeNeXt', arch='xxsmall'))
    assert new['gap_before_final_norm'] is False


@pytest.mark.parametrize(
    'kind', ['VisionTransformer', 'DistilledVisionTransformer', 'DeiT3']
)
def test_rule_out_type(kind):
    # DeiT's constructor takes **kwargs: the default comes from its base
    new, notes = spatial_backbone_cfg(dict(type=kind, arch='deit-tiny'))
    assert new['out_type'] == 'featmap'
    assert "out_type='featmap'" in notes[0] and "'cls_token'" in notes[0]
    pooled = dict(type=kind, arch='deit-tiny', out_type='avg_featmap')
    assert spatial_backbone_cfg(pooled)[0]['out_type'] == 'featmap'
    # 'raw' tokens are reshaped later, 'featmap' is already right
    for kept in ('raw', 'featmap'):
        cfg = dict(type=kind, arch='deit-tiny', out_type=kept)
        assert spatial_backbone_cfg(cfg) == (cfg, [])


def test_rule_pad_small_map():
    # Swin-T: 4-pixel patches, 3 halvings: 64 px -> 2x2 < window 7
    new, notes = spatial_backbone_cfg(
        dict(type='SwinTransformer', arch='tiny', img_size=64)
    )
    assert new['pad_small_map'] is True and 'pad_small_map' in notes[0]
    # 224 px -> 7x7 == window: mmpretrain's classification behaviour kept
    cfg = dict(type='SwinTransformer', arch='tiny')
    assert spatial_backbone_cfg(cfg) == (cfg, [])
    # 192 px -> 6x6 < 7; a window of 6 fits it
    cfg = dict(type='SwinTransformer', arch='tiny', img_size=192)
    assert spatial_backbone_cfg(cfg)[0]['pad_small_map'] is True
    cfg['window_size'] = 6
    assert spatial_backbone_cfg(cfg) == (cfg, [])


def test_other_backbones_untouched():
    for cfg in (
        dict(type='ResNet', depth=18),
        dict(type='mmpretrain.MobileNetV2'),
        dict(type='NoSuchBackbone'),
    ):
        assert spatial_backbone_cfg(cfg) == (cfg, [])


def test_hint_names_the_option_of_a_built_backbone():
    assert 'gap_before_final_norm=False' in spatial_option_hint(
        ConvNeXt(arch='atto')
    )
    vit = VisionTransformer(arch=TINY_VIT, img_size=32, patch_size=16)
    assert "out_type='featmap'" in spatial_option_hint(vit)
    assert 'no option' in spatial_option_hint(torch.nn.Identity())


def test_as_feature_maps_tokens_equal_mmpretrain_featmap():
    torch.manual_seed(0)
    kw = dict(arch=TINY_VIT, img_size=(32, 64), patch_size=16)
    raw = VisionTransformer(out_type='raw', **kw)
    featmap = VisionTransformer(out_type='featmap', **kw)
    featmap.load_state_dict(raw.state_dict())
    x = torch.randn(2, 3, 32, 64)
    with torch.no_grad():
        out = as_feature_maps(raw(x), raw, (32, 64))
        expected = featmap(x)
    assert out[-1].shape == (2, 8, 2, 4)
    assert torch.allclose(out[-1], expected[-1])


def test_as_feature_maps_maps_pass_and_pooled_fail():
    maps = (torch.randn(1, 4, 3, 3),)
    assert as_feature_maps(maps, torch.nn.Identity(), (12, 12))[0] is maps[0]
    with pytest.raises(ValueError, match=r'ConvNeXt.*\(1, 4\).*gap_before'):
        as_feature_maps((torch.randn(1, 4),), ConvNeXt(arch='atto'), (8, 8))


def test_run_backbone_names_the_swin_options():
    swin = SwinTransformer(
        arch={
            'embed_dims': 8,
            'depths': [1, 1, 1, 1],
            'num_heads': [1, 1, 1, 1],
        }
    )
    with pytest.raises(ValueError, match='96x96.*img_size=96.*pad_small'):
        run_backbone(swin, torch.randn(1, 3, 96, 96))

    class Strict(torch.nn.Module):
        def forward(self, x):
            assert x.dim() == 4, 'other assertion'

    with pytest.raises(AssertionError, match='other assertion'):
        run_backbone(Strict(), torch.randn(1, 3))
