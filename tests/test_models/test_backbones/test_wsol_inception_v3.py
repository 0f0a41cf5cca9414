import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.runner.checkpoint import load_state_dict
from mmpretrain.models.backbones import InceptionV3

from mmwsol.models.backbones import WSOLInceptionV3
from mmwsol.registry import MODELS

SPG_KEYS = {
    'spg.conv1.weight',
    'spg.conv1.bias',
    'spg.conv2.weight',
    'spg.conv2.bias',
}


@pytest.fixture(scope='module')
def mmpretrain_state_dict():
    """State dict of mmpretrain's InceptionV3 with its auxiliary branch."""
    torch.manual_seed(0)
    source = InceptionV3(num_classes=10, aux_logits=True)
    # Non-default values to make the comparisons meaningful.
    for param in source.parameters():
        nn.init.normal_(param)
    return source.state_dict()


@pytest.mark.parametrize('large, size', [(False, 14), (True, 28)])
def test_output_sizes_224(large, size):
    model = MODELS.build(
        dict(
            type='WSOLInceptionV3',
            large_feature_map=large,
            out_indices=(0, 1, 2, 3, 4, 5, 6),
        )
    ).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 224, 224))
    channels = [288, 768, 768, 768, 768, 768, 1024]
    assert [tuple(o.shape) for o in outs] == [
        (1, c, size, size) for c in channels
    ]


@pytest.mark.parametrize(
    'input_size, large, size',
    [(299, False, 18), (112, False, 7), (112, True, 14)],
)
def test_default_output_other_sizes(input_size, large, size):
    model = WSOLInceptionV3(large_feature_map=large).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, input_size, input_size))
    assert len(outs) == 1
    assert outs[0].shape == (1, 1024, size, size)


def test_architecture():
    model = WSOLInceptionV3()
    assert isinstance(model, InceptionV3)
    assert model.Conv2d_1a_3x3.conv.padding == (1, 1)
    assert model.Conv2d_1a_3x3.conv.stride == (2, 2)
    for pool in (model.maxpool1, model.maxpool2):
        assert (
            pool.kernel_size,
            pool.stride,
            pool.padding,
            pool.ceil_mode,
        ) == (3, 2, 1, True)
    assert isinstance(model.maxpool3, nn.MaxPool2d)
    assert isinstance(
        WSOLInceptionV3(large_feature_map=True).maxpool3, nn.Identity
    )
    mixed_6a = model.Mixed_6a
    assert mixed_6a.branch3x3.conv.stride == (1, 1)
    assert mixed_6a.branch3x3.conv.padding == (1, 1)
    assert mixed_6a.branch3x3dbl_3.conv.stride == (1, 1)
    assert mixed_6a.branch_pool.stride == 1
    for name in WSOLInceptionV3.removed_modules:
        assert name not in model._modules or model._modules[name] is None
    assert not any(
        k.startswith(('Mixed_7', 'fc.', 'AuxLogits'))
        for k in model.state_dict()
    )
    conv1, conv2 = model.spg.conv1, model.spg.conv2
    assert (conv1.in_channels, conv1.out_channels) == (768, 1024)
    assert (conv2.in_channels, conv2.out_channels) == (1024, 1024)
    for conv in (conv1, conv2):
        assert conv.kernel_size == (3, 3) and conv.padding == (1, 1)


def test_relu_output_and_out_indices():
    model = WSOLInceptionV3(out_indices=(-2, -1)).eval()
    assert model.out_indices == (5, 6)
    with torch.no_grad():
        mixed_6e, out = model(torch.randn(1, 3, 64, 64))
    assert mixed_6e.shape[1] == 768 and out.shape[1] == 1024
    assert (out >= 0).all() and (out > 0).any()
    with pytest.raises(AssertionError):
        WSOLInceptionV3(out_indices=(7,))


def test_without_head(mmpretrain_state_dict):
    model = WSOLInceptionV3(with_head=False).eval()
    assert not hasattr(model, 'spg')
    assert model.out_indices == (5,)
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape == (1, 768, 4, 4)
    result = model.load_state_dict(mmpretrain_state_dict, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    with pytest.raises(AssertionError):
        WSOLInceptionV3(with_head=False, out_indices=(6,))


@torch.no_grad()
def test_dropout_only_in_training():
    x = torch.rand(2, 3, 48, 48)
    model = WSOLInceptionV3(dropout=0.5).train()
    torch.manual_seed(0)
    assert not torch.equal(model(x)[-1], model(x)[-1])
    model.eval()
    assert torch.equal(model(x)[-1], model(x)[-1])
    model = WSOLInceptionV3(dropout=0.0).train()
    assert torch.equal(model(x)[-1], model(x)[-1])


def test_mmpretrain_state_dict_loads(mmpretrain_state_dict):
    assert any(k.startswith('Mixed_7') for k in mmpretrain_state_dict)
    assert any(k.startswith('AuxLogits') for k in mmpretrain_state_dict)
    assert 'fc.weight' in mmpretrain_state_dict

    model = WSOLInceptionV3()
    result = model.load_state_dict(mmpretrain_state_dict, strict=False)
    assert result.unexpected_keys == []
    assert set(result.missing_keys) == SPG_KEYS
    for key, value in model.state_dict().items():
        if key not in SPG_KEYS:
            assert torch.equal(value, mmpretrain_state_dict[key]), key

    # MMEngine's loader (used by ``init_cfg`` and ``load_from``) is strict
    # about everything but the removed modules.
    full = dict(mmpretrain_state_dict)
    full.update({k: model.state_dict()[k] for k in SPG_KEYS})
    load_state_dict(WSOLInceptionV3(), full, strict=True)
    full['Mixed_6e.unknown'] = torch.zeros(1)
    with pytest.raises(RuntimeError, match='Mixed_6e.unknown'):
        load_state_dict(WSOLInceptionV3(), full, strict=True)


def test_pretrained_init_cfg(tmp_path, mmpretrain_state_dict):
    state_dict = {f'backbone.{k}': v for k, v in mmpretrain_state_dict.items()}
    state_dict['head.fc.weight'] = torch.zeros(3, 2048)
    checkpoint = tmp_path / 'inception_v3_mmpretrain.pth'
    torch.save({'meta': {}, 'state_dict': state_dict}, checkpoint)

    model = MODELS.build(
        dict(
            type='WSOLInceptionV3',
            large_feature_map=True,
            init_cfg=dict(
                type='Pretrained',
                checkpoint=str(checkpoint),
                prefix='backbone.',
            ),
        )
    )
    model.init_weights()
    for key, value in model.state_dict().items():
        if key not in SPG_KEYS:
            assert torch.equal(value, mmpretrain_state_dict[key]), key
    # The new head gets the reference's Xavier init with zero bias.
    for conv in (model.spg.conv1, model.spg.conv2):
        assert torch.all(conv.bias == 0)
        bound = (6 / (conv.in_channels * 9 + conv.out_channels * 9)) ** 0.5
        assert conv.weight.abs().max() <= bound
        assert conv.weight.std() > bound / 4


def test_spg_head_lr_mult():
    """The head is reachable by ``paramwise_cfg.custom_keys``."""

    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = WSOLInceptionV3()

    wrapper = Wrapper()
    optim_wrapper = build_optim_wrapper(
        wrapper,
        dict(
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
            paramwise_cfg=dict(custom_keys={'backbone.spg': dict(lr_mult=10)}),
        ),
    )
    lr_of = {
        id(p): group['lr']
        for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    }
    for name, param in wrapper.named_parameters():
        expected = 0.1 if name.startswith('backbone.spg.') else 0.01
        assert lr_of[id(param)] == pytest.approx(expected), name


def test_frozen_stages_and_norm_eval():
    model = WSOLInceptionV3(frozen_stages=1, norm_eval=True)
    assert model.train() is model
    for name, param in model.named_parameters():
        frozen = name.startswith(('Conv2d_', 'Mixed_5'))
        assert param.requires_grad == (not frozen), name
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert model.spg.training
