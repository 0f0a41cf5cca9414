import pytest
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.utils.dl_utils.parrots_wrapper import _BatchNorm
from mmpretrain.models.backbones import VGG

from mmwsol.models.backbones import WSOLVGG
from mmwsol.registry import MODELS


def _fake_classifier_entries():
    """Stand-ins for the ``classifier.*`` entries of an ImageNet VGG16
    checkpoint (the real ones hold 120M parameters)."""
    return {
        'classifier.0.weight': torch.zeros(8, 4),
        'classifier.0.bias': torch.zeros(8),
        'classifier.6.weight': torch.zeros(3, 8),
        'classifier.6.bias': torch.zeros(3),
    }


@pytest.mark.parametrize('large, size', [(False, 14), (True, 28)])
def test_output_size_224(large, size):
    model = MODELS.build(dict(type='WSOLVGG', large_feature_map=large))
    assert isinstance(model, WSOLVGG)
    model.eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 224, 224))
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (1, 1024, size, size)


@pytest.mark.parametrize('large', [False, True])
def test_all_outputs_small_input(large):
    model = WSOLVGG(large_feature_map=large, out_indices=(0, 1, 2, 3, 4, 5))
    with torch.no_grad():
        outs = model(torch.rand(2, 3, 64, 64))
    final = 8 if large else 4
    expected = [
        (64, 32),
        (128, 16),
        (256, 8),
        (512, final),
        (512, final),
        (1024, final),
    ]
    assert [tuple(o.shape) for o in outs] == [
        (2, c, s, s) for c, s in expected
    ]


def test_pools_replaced_by_identity_and_indices_kept():
    reference = VGG(depth=16)
    # mmpretrain's VGG16: 13 ConvModules (conv + ReLU) and 5 poolings;
    # pool4 is features.13 and pool5 features.17.
    for large, removed in [(False, {17}), (True, {13, 17})]:
        model = WSOLVGG(large_feature_map=large)
        assert len(model.features) == len(reference.features) == 18
        for idx, (ours, theirs) in enumerate(
            zip(model.features, reference.features)
        ):
            if idx in removed:
                assert isinstance(theirs, nn.MaxPool2d)
                assert isinstance(ours, nn.Identity)
            else:
                assert type(ours) is type(theirs)


def test_conv6_and_relu():
    model = WSOLVGG()
    assert isinstance(model.conv6, ConvModule)
    conv = model.conv6.conv
    assert (conv.in_channels, conv.out_channels) == (512, 1024)
    assert conv.kernel_size == (3, 3) and conv.padding == (1, 1)
    assert conv.bias is not None
    model.init_weights()
    # He (fan-out) init with zero bias, as in the reference.
    assert torch.all(conv.bias == 0)
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 64, 64))[-1]
    assert (out >= 0).all() and (out > 0).any()


def test_out_indices():
    model = WSOLVGG(out_indices=(-1, 3))
    assert model.out_indices == (3, 5)
    outs = model(torch.rand(1, 3, 32, 32))
    assert [o.shape[1] for o in outs] == [512, 1024]
    with pytest.raises(AssertionError):
        WSOLVGG(out_indices=(6,))
    with pytest.raises(AssertionError):
        WSOLVGG(out_indices=(-7,))


def test_without_conv6():
    model = WSOLVGG(with_conv6=False, out_indices=(3, -1))
    assert not hasattr(model, 'conv6')
    assert model.out_indices == (3, 4)
    outs = model(torch.rand(1, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(1, 512, 2, 2), (1, 512, 2, 2)]
    result = model.load_state_dict(VGG(depth=16).state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    with pytest.raises(AssertionError):
        WSOLVGG(with_conv6=False, out_indices=(5,))


def test_features_equal_mmpretrain_vgg():
    """With the same weights, blocks 1-5 compute what mmpretrain's VGG
    without its last pooling computes."""
    reference = VGG(depth=16, with_last_pool=False, out_indices=(3, 4))
    model = WSOLVGG(out_indices=(3, 4))
    model.load_state_dict(reference.state_dict(), strict=False)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        for ours, theirs in zip(model(x), reference(x)):
            assert torch.equal(ours, theirs)


@pytest.mark.filterwarnings('ignore:Unnecessary conv bias')
@pytest.mark.parametrize('norm_cfg', [None, dict(type='BN')])
def test_mmpretrain_vgg_state_dict_loads(norm_cfg):
    state_dict = VGG(depth=16, norm_cfg=norm_cfg).state_dict()
    state_dict.update(_fake_classifier_entries())
    model = WSOLVGG(norm_cfg=norm_cfg)
    result = model.load_state_dict(state_dict, strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys
    assert all(k.startswith('conv6.') for k in result.missing_keys)
    assert 'conv6.conv.weight' in result.missing_keys
    for key, value in model.state_dict().items():
        if not key.startswith('conv6.'):
            assert torch.equal(value, state_dict[key]), key


def test_pretrained_init_cfg(tmp_path):
    source = VGG(depth=16)
    source.init_weights()
    state_dict = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state_dict.update(
        {f'backbone.{k}': v for k, v in _fake_classifier_entries().items()}
    )
    state_dict['head.fc.weight'] = torch.zeros(3, 1024)
    checkpoint = tmp_path / 'vgg16_mmpretrain.pth'
    torch.save({'meta': {}, 'state_dict': state_dict}, checkpoint)

    model = MODELS.build(
        dict(
            type='WSOLVGG',
            init_cfg=dict(
                type='Pretrained',
                checkpoint=str(checkpoint),
                prefix='backbone.',
            ),
        )
    )
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    # conv6 is new: He-initialised by its ConvModule, bias 0.
    assert torch.all(model.conv6.conv.bias == 0)
    assert model.conv6.conv.weight.std() > 0


@pytest.mark.filterwarnings('ignore:Unnecessary conv bias')
def test_frozen_stages_and_norm_eval():
    model = WSOLVGG(frozen_stages=2)
    model.train()
    for i, (start, end) in enumerate(model.range_sub_modules):
        for j in range(start, end):
            for param in model.features[j].parameters():
                assert param.requires_grad == (i >= 2)
    assert all(p.requires_grad for p in model.conv6.parameters())

    model = WSOLVGG(frozen_stages=6)
    model.train()
    assert not any(p.requires_grad for p in model.parameters())

    model = WSOLVGG(norm_cfg=dict(type='BN'), norm_eval=True)
    assert model.train() is model
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and not any(m.training for m in bns)


def test_backward():
    model = WSOLVGG(depth=11)
    out = model(torch.rand(2, 3, 32, 32))[-1]
    out.mean().backward()
    assert model.conv6.conv.weight.grad is not None
    assert model.features[0].conv.weight.grad is not None


def _nl_ccam_backbone(name):
    """The backbone of an NL-CCAM config (not initialised: no download)."""
    import os.path as osp

    from mmengine import Config

    root = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs')
    cfg = Config.fromfile(osp.join(root, 'nl_ccam', name))
    return MODELS.build(cfg.model.backbone)


def _activations(vgg):
    """The activation module after each VGG16 convolution, in order."""
    convs = [m for m in vgg.features if isinstance(m, ConvModule)]
    if vgg.with_conv6:
        convs.append(vgg.conv6)
    return [m.activate for m in convs]


def test_nl_ccam_leaky_relu_variant():
    """The authors' NL-CCAM VGG16 has LeakyReLU(0.2) after each of its 13
    convolutions (Yangseung/NL-CCAM, model_cub.py); the leaky configs put it
    there (and after conv6), the main configs keep ReLU; checkpoint keys do
    not change."""
    relu = _nl_ccam_backbone('nl-ccam_vgg16_1xb32_cub.py')
    for name in (
        'nl-ccam-leaky_vgg16_1xb32_cub.py',
        'nl-ccam-leaky_vgg16_1xb32_imagenet.py',
    ):
        leaky = _nl_ccam_backbone(name)
        acts = _activations(leaky.backbone)
        assert len(acts) == 14  # 13 VGG16 convs + conv6
        for act in acts:
            assert type(act) is nn.LeakyReLU and act.negative_slope == 0.2
        assert not any(isinstance(m, nn.ReLU) for m in leaky.modules())
        # the same parameters and buffers under the same names
        assert {k: v.shape for k, v in leaky.state_dict().items()} == {
            k: v.shape for k, v in relu.state_dict().items()
        }
    acts = _activations(relu.backbone)
    assert len(acts) == 14 and all(type(a) is nn.ReLU for a in acts)
    # mmpretrain's VGG16 (ImageNet checkpoint) keys all match
    leaky_vgg = WSOLVGG(act_cfg=dict(type='LeakyReLU', negative_slope=0.2))
    keys = set(leaky_vgg.state_dict())
    assert set(VGG(depth=16).state_dict()) <= keys
    assert keys - set(VGG(depth=16).state_dict()) == {
        'conv6.conv.weight',
        'conv6.conv.bias',
    }
    # and the activation does what LeakyReLU(0.2) does
    conv = leaky_vgg.features[0]
    x = torch.randn(1, 3, 8, 8)
    with torch.no_grad():
        pre = conv.conv(x)
        assert (pre < 0).any()
        assert torch.allclose(conv(x), torch.where(pre > 0, pre, 0.2 * pre))
