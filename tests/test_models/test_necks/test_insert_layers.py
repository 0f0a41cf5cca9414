"""Config-only insertion of modules into mmpretrain backbones."""

import copy

import pytest
import torch
from mmengine.runner import load_state_dict

from mmwsol.models.backbones.insert_layers import remap_bare_keys
from mmwsol.registry import MODELS

# VGG16 of mmpretrain: pool2 = features.5, pool3 = features.9,
# pool4 = features.13, conv5_3 = features.16 (the paper's placement)
VGG16_NL = [
    dict(
        after='features.5',
        module=dict(type='NonLocalBlock2d', in_channels=128),
    ),
    dict(
        after='features.9',
        module=dict(type='NonLocalBlock2d', in_channels=256),
    ),
    dict(
        after='features.13',
        module=dict(type='NonLocalBlock2d', in_channels=512),
    ),
    dict(
        after='features.16',
        module=dict(type='NonLocalBlock2d', in_channels=512),
    ),
]


def _randomize_bn(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))


def _save_mmpretrain_checkpoint(backbone, path, head=True):
    """Save like mmpretrain's model zoo: model-level keys + meta."""
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    if head:
        state['head.fc.weight'] = torch.randn(3, 4)
    torch.save(dict(state_dict=state, meta=dict()), path)


def test_vgg16_paper_placement_keeps_shapes_and_function():
    torch.manual_seed(0)
    bare = MODELS.build(dict(type='WSOLVGG', out_indices=(1, 2, 3, 4, 5)))
    bare.init_weights()
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='WSOLVGG', out_indices=(1, 2, 3, 4, 5)),
            insert=VGG16_NL,
        )
    )
    wrapped.init_weights()
    # bare backbone weights load unchanged into the wrapper
    load_state_dict(wrapped, bare.state_dict(), strict=False)
    x = torch.randn(1, 3, 32, 32)
    bare.eval(), wrapped.eval()
    with torch.no_grad():
        ref, out = bare(x), wrapped(x)
    assert [o.shape for o in out] == [o.shape for o in ref]
    for a, b in zip(out, ref):  # identity blocks at init
        assert torch.equal(a, b)
    assert sorted(wrapped.inserted.keys()) == [
        'features_13',
        'features_16',
        'features_5',
        'features_9',
    ]
    # trained (non-zero BN) blocks change the features after pool2
    _randomize_bn(wrapped.inserted)
    with torch.no_grad():
        out = wrapped(x)
    assert [o.shape for o in out] == [o.shape for o in ref]
    assert not torch.allclose(out[0], ref[0])


def test_inserted_module_sees_the_named_output():
    """The block after pool3 (features.6 of VGG11) gets pool3's output."""
    torch.manual_seed(1)
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='VGG', depth=11, out_indices=(2,)),
            insert=[
                dict(
                    after='features.6',
                    module=dict(type='NonLocalBlock2d', in_channels=256),
                )
            ],
        )
    )
    _randomize_bn(wrapped.inserted)
    wrapped.eval()
    seen = []
    block = wrapped.inserted['features_6']
    block.register_forward_hook(lambda m, a, o: seen.append((a[0], o)))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = wrapped(x)
        # run the bare layers by hand (``forward`` skips the hooks)
        y = x
        for i, layer in enumerate(wrapped.backbone.features):
            y = layer.forward(y)
            if i == 6:
                assert torch.equal(seen[0][0], y)
                y = block(y)
                break  # stage 2 (out_indices) ends with pool3
    assert torch.allclose(out[0], y)
    assert not torch.allclose(seen[0][0], seen[0][1])


def test_pretrained_init_cfg_on_the_wrapper_loads_unchanged(tmp_path):
    torch.manual_seed(2)
    source = MODELS.build(dict(type='ResNet', depth=18))
    _randomize_bn(source, seed=5)  # make BN values distinguishable
    ckpt = str(tmp_path / 'resnet18.pth')
    _save_mmpretrain_checkpoint(source, ckpt)
    insert = [
        dict(
            after='layer2',
            module=dict(type='NonLocalBlock2d', in_channels=128),
        ),
        dict(
            after='layer3',
            module=dict(type='NonLocalBlock2d', in_channels=256),
        ),
    ]
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='ResNet', depth=18),
            insert=insert,
            init_cfg=dict(
                type='Pretrained', checkpoint=ckpt, prefix='backbone.'
            ),
        )
    )
    wrapped.init_weights()
    ref = source.state_dict()
    got = wrapped.backbone.state_dict()
    assert set(ref) == set(got)
    for k in ref:
        assert torch.equal(ref[k], got[k]), k
    # the inserted blocks keep their own (identity) initialisation
    for block in wrapped.inserted.values():
        assert block.norm.weight.abs().sum() == 0
    source.eval(), wrapped.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(wrapped(x)[0], source(x)[0])


def test_pretrained_init_cfg_inside_the_wrapped_backbone(tmp_path):
    torch.manual_seed(3)
    source = MODELS.build(dict(type='VGG', depth=11))  # with classifier
    ckpt = str(tmp_path / 'vgg11.pth')
    _save_mmpretrain_checkpoint(source, ckpt, head=False)
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(
                type='WSOLVGG',
                depth=11,
                init_cfg=dict(
                    type='Pretrained', checkpoint=ckpt, prefix='backbone.'
                ),
            ),
            insert=[
                dict(
                    after='features.5',
                    module=dict(type='NonLocalBlock2d', in_channels=256),
                )
            ],
        )
    )
    wrapped.init_weights()
    ref = source.state_dict()
    for k, v in wrapped.backbone.state_dict().items():
        if k.startswith('conv6'):
            continue  # new layer of the WSOL VGG
        assert torch.equal(v, ref[k]), k


def test_whole_model_checkpoint_without_insertions_loads(tmp_path):
    """`load_from` a CAM model into the NL model (same backbone keys)."""
    torch.manual_seed(4)
    head = dict(type='CAMHead', num_classes=3, in_channels=32)
    backbone = dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 32))
    cam = MODELS.build(
        dict(type='WSOLClassifier', backbone=backbone, head=head)
    )
    cam.init_weights()
    nl = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='InsertLayers',
                backbone=backbone,
                insert=[
                    dict(
                        after='stages.2',
                        module=dict(type='NonLocalBlock2d', in_channels=16),
                    )
                ],
            ),
            neck=dict(type='NonLocalNeck', in_channels=32),
            head=head,
        )
    )
    nl.init_weights()
    result = nl.load_state_dict(cam.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(
        k.startswith(('backbone.inserted.', 'neck.'))
        for k in result.missing_keys
    )
    for k, v in cam.state_dict().items():
        if k.startswith('backbone.'):
            k = 'backbone.backbone.' + k[len('backbone.') :]
        assert torch.equal(nl.state_dict()[k], v), k
    cam.eval(), nl.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(nl(x, mode='tensor'), cam(x, mode='tensor'))
    # its own checkpoints load strictly
    again = copy.deepcopy(nl)
    _randomize_bn(again.backbone.inserted)
    nl.load_state_dict(again.state_dict(), strict=True)
    with torch.no_grad():
        assert torch.equal(nl(x, mode='tensor'), again(x, mode='tensor'))


def test_deepcopy_rebinds_the_hooks():
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 16)),
            insert=[
                dict(
                    after='stages.1',
                    module=dict(type='NonLocalBlock2d', in_channels=8),
                )
            ],
        )
    )
    wrapped.eval()
    x = torch.randn(1, 3, 32, 32)
    before = wrapped(x)[0]
    clone = copy.deepcopy(wrapped)
    _randomize_bn(clone.inserted)
    assert torch.equal(wrapped(x)[0], before)  # original unaffected
    assert not torch.allclose(clone(x)[0], before)


def test_gradients_reach_inserted_modules():
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 16)),
            insert=[
                dict(
                    after='stages.2.1',
                    module=dict(type='NonLocalBlock2d', in_channels=16),
                )
            ],
        )
    )
    wrapped(torch.randn(2, 3, 16, 16))[0].sum().backward()
    assert wrapped.inserted['stages_2_1'].norm.weight.grad is not None


def test_insertion_errors():
    base = dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 16))
    nl = dict(type='NonLocalBlock2d', in_channels=8)
    with pytest.raises(KeyError, match='no submodule'):
        MODELS.build(
            dict(
                type='InsertLayers',
                backbone=base,
                insert=[dict(after='stages.9', module=nl)],
            )
        )
    with pytest.raises(ValueError, match='two insertions'):
        MODELS.build(
            dict(
                type='InsertLayers',
                backbone=base,
                insert=[
                    dict(after='stages.1', module=nl),
                    dict(after='stages.1', module=nl),
                ],
            )
        )
    with pytest.raises(ValueError, match='after=NAME'):
        MODELS.build(
            dict(
                type='InsertLayers',
                backbone=base,
                insert=[dict(after='stages.1', module=nl, extra=1)],
            )
        )


def test_remap_bare_keys():
    sd = {
        'a.x': 1,
        'backbone.f.0.w': 2,
        'backbone.inserted.b.w': 3,
        'backbone.backbone.g.w': 4,
    }
    moved = remap_bare_keys(
        sd, 'backbone.', ['backbone', 'inserted'], 'backbone'
    )
    assert moved == ['backbone.f.0.w']
    assert sd == {
        'a.x': 1,
        'backbone.backbone.f.0.w': 2,
        'backbone.inserted.b.w': 3,
        'backbone.backbone.g.w': 4,
    }


def test_nl_ccam_config_keeps_the_10x_lr_of_conv6_and_head():
    import os.path as osp

    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    root = osp.join(osp.dirname(__file__), '..', '..', '..')
    cfg = Config.fromfile(
        osp.join(root, 'configs', 'nl_ccam', 'nl-ccam_vgg16_1xb32_cub.py')
    )
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg')
    model = MODELS.build(model_cfg)
    assert model.backbone.insert_after == [
        'features.5',
        'features.9',
        'features.13',
        'features.16',
    ]
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = group['lr']
    base = cfg.optim_wrapper.optimizer.lr
    conv6 = model.backbone.backbone.conv6.conv.weight
    assert lrs[id(conv6)] == pytest.approx(10 * base)
    assert lrs[id(model.head.fc.weight)] == pytest.approx(10 * base)
    block = model.backbone.inserted['features_9']
    assert lrs[id(block.theta.weight)] == pytest.approx(base)
    assert lrs[
        id(next(model.backbone.backbone.features.parameters()))
    ] == pytest.approx(base)
