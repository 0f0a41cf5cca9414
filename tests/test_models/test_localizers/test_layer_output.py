"""Gradient localizers on any layer: token blocks, tuple outputs, container
stages and wrong names (issue #14, point 1)."""

import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope

from mmwsol.models.localizers import (
    PCS,
    BagCAMs,
    GradCAM,
    GradCAMPlusPlus,
    LayerGradCapture,
    grad_cam_maps,
)
from mmwsol.models.localizers.layer_output import (
    resolve_layer,
    select_output,
    token_grid,
)
from mmwsol.registry import MODELS

init_default_scope('mmwsol')

VIT = dict(
    type='VisionTransformer',
    arch=dict(
        embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32
    ),
    img_size=64,
    patch_size=16,
    out_type='featmap',
)
SWIN = dict(
    type='SwinTransformer',
    arch=dict(embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1]),
    img_size=224,
    window_size=7,
)


def _model(backbone, channels, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=backbone,
            head=dict(type='CAMHead', num_classes=3, in_channels=channels),
            localizer=dict(type='CAM'),
            topk_maps=0,
        )
    )
    model.eval()
    with torch.no_grad():
        model.head.fc.weight.normal_()
    return model


def _reference_gradcam(model, layer, x, targets, to_tokens):
    """Grad-CAM written out by hand on ``_reference_gradients``."""
    acts, grads, _ = _reference_gradients(model, layer, x, targets, to_tokens)
    return grad_cam_maps(acts, grads)


def _reference_gradients(model, layer, x, targets, to_tokens):
    """The layer's output is replaced by ``to_tokens(M)`` of a leaf map
    ``M`` (the values the layer produced, laid out as a conv map), and
    ``dS/dM`` is taken by autograd: ``M``, ``dS/dM`` and the scores."""
    module = model.get_submodule(layer)
    store = {}

    def hook(mod, args, out):
        tokens, rest = (
            (out[0], out[1:])
            if isinstance(out, tuple)
            else (
                out,
                None,
            )
        )
        leaf, rebuilt = to_tokens(tokens.detach())
        store['map'] = leaf
        return rebuilt if rest is None else (rebuilt, *rest)

    handle = module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logits = model.head(model.extract_feat(x))
            rows = []
            scores = logits.gather(1, targets).detach()
            for t in range(targets.shape[1]):
                score = logits.gather(1, targets[:, t : t + 1]).sum()
                (grad,) = torch.autograd.grad(
                    score, store['map'], retain_graph=True
                )
                rows.append(grad)
    finally:
        handle.remove()
    grads = torch.stack(rows, dim=1)  # (N, T, C, h, w)
    return store['map'].detach(), grads, scores


def _leaf_map(tokens, extra, h, w):
    """``(N, E + h*w, C)`` tokens -> a leaf ``(N, C, h, w)`` map built
    position by position, and the tokens rebuilt from it."""
    n, _, c = tokens.shape
    leaf = torch.empty(n, c, h, w)
    for i in range(h):
        for j in range(w):
            leaf[:, :, i, j] = tokens[:, extra + i * w + j, :]
    leaf.requires_grad_(True)
    patches = leaf.flatten(2).transpose(1, 2)
    return leaf, torch.cat([tokens[:, :extra], patches], dim=1)


@pytest.mark.parametrize(
    'arch, extra',
    [('VisionTransformer', 1), ('DistilledVisionTransformer', 2)],
)
def test_gradcam_on_a_vit_block_is_gradcam_of_its_tokens_as_a_map(arch, extra):
    """Non-square input 64 x 96 -> a 4 x 6 patch grid; ViT has a class
    token, DeiT a class and a distillation token."""
    model = _model(dict(VIT, type=arch), 16)
    x = torch.randn(2, 3, 64, 96)
    targets = torch.tensor([[0, 2], [1, 1]])
    layer = 'backbone.layers.0'
    expected = _reference_gradcam(
        model, layer, x, targets, lambda t: _leaf_map(t, extra, 4, 6)
    )
    got = GradCAM(layer)(model, x, None, None, targets)
    assert got.shape == (2, 2, 4, 6)
    assert expected.abs().max() > 0
    assert torch.allclose(got, expected, atol=1e-6)
    # and through the classifier: maps at the input size, in [0, 1]
    model.localizer = GradCAM(layer)
    maps, valid = model.localizer.localize_with_validity(
        model, x, None, model(x, mode='tensor'), targets
    )
    assert maps.shape == (2, 2, 64, 96) and valid.all()


@pytest.mark.parametrize('cls', [GradCAMPlusPlus, PCS, BagCAMs])
def test_other_gradient_localizers_on_a_vit_block(cls):
    model = _model(VIT, 16)
    x = torch.randn(2, 3, 64, 64)
    targets = torch.tensor([[0, 1], [2, 2]])
    layer = 'backbone.layers.1'
    acts, grads, scores = _reference_gradients(
        model, layer, x, targets, lambda t: _leaf_map(t, 1, 4, 4)
    )
    loc = cls(layer, score='logit', guided_relu=False)
    expected = loc.maps_from_gradients(acts, grads, scores)
    got = loc(model, x, None, None, targets)
    assert got.shape == (2, 2, 4, 4)
    assert torch.allclose(got, expected, atol=1e-6)


def test_gradcam_on_swin_stage_and_block():
    """``stages.1`` returns ``(tokens, (h, w))``; its block gets ``(h, w)``
    as an argument. 224 px: the grid of stage 1 is 28 x 28."""
    model = _model(SWIN, 64)
    x = torch.randn(2, 3, 224, 224)
    targets = torch.tensor([[0], [2]])
    for layer in ('backbone.stages.1', 'backbone.stages.1.blocks.0'):
        expected = _reference_gradcam(
            model, layer, x, targets, lambda t: _leaf_map(t, 0, 28, 28)
        )
        got = GradCAM(layer)(model, x, None, None, targets)
        assert got.shape == (2, 1, 28, 28)
        assert torch.allclose(got, expected, atol=1e-6)


class _IteratedNet(nn.Module):
    """``blocks`` is a ModuleList the forward iterates over (VAN-style),
    ``seq`` a Sequential that is called."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList(nn.Conv2d(3, 3, 1) for _ in range(2))
        self.seq = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU())
        self.fc = nn.Linear(4, 2)

    def extract_feat(self, x):
        for block in self.blocks:
            x = block(x)
        return self.seq(x)

    def head(self, z):
        return self.fc(z.mean(dim=(2, 3)))

    def forward(self, x):
        return self.head(self.extract_feat(x))


def test_container_stage_is_its_last_module():
    torch.manual_seed(0)
    net = _IteratedNet().eval()
    assert resolve_layer(net, 'blocks')[0] == 'blocks.1'
    assert resolve_layer(net, 'seq')[0] == 'seq.1'
    x = torch.randn(2, 3, 5, 5)
    targets = torch.tensor([[0], [1]])
    for name, last in (('blocks', 'blocks.1'), ('seq', 'seq.1')):
        got = GradCAM(name)(net, x, None, None, targets)
        assert torch.equal(got, GradCAM(last)(net, x, None, None, targets))
    # the ModuleList's output: the second conv of the input
    with LayerGradCapture(net, 'blocks') as cap:
        cap.run(lambda: net(x))
        acts = cap.activation
    with torch.no_grad():
        assert torch.allclose(acts, net.blocks[1](net.blocks[0](x)))
    with pytest.raises(RuntimeError, match=r"'blocks' \(its last module"):
        with LayerGradCapture(net, 'blocks') as cap:
            cap.run(lambda: net.head(net.seq(x)))
    with pytest.raises(ValueError, match='empty ModuleList'):
        net.blocks = nn.ModuleList()
        resolve_layer(net, 'blocks')


def test_named_sequential_stage_is_its_last_module():
    # a Sequential built from an OrderedDict names its children: the
    # stage stands for its last child under that name (WSOLInceptionV3's
    # ``spg`` stage), not under an index
    from collections import OrderedDict

    torch.manual_seed(0)
    net = nn.Sequential(
        OrderedDict(
            stem=nn.Conv2d(3, 4, 3, padding=1),
            stage=nn.Sequential(
                OrderedDict(conv=nn.Conv2d(4, 4, 1), act=nn.Tanh())
            ),
        )
    )
    name, module = resolve_layer(net, 'stage')
    assert name == 'stage.act' and module is net.stage.act
    x = torch.randn(2, 3, 5, 5)
    with LayerGradCapture(net, 'stage') as cap:
        cap.run(lambda: net(x))
        acts = cap.activation
    with torch.no_grad():
        assert torch.allclose(acts, net(x))


def test_van_modulelist_stage():
    model = _model(
        dict(
            type='VAN',
            arch=dict(
                embed_dims=[8, 16, 32, 64],
                depths=[1, 2, 1, 1],
                ffn_ratios=[2, 2, 2, 2],
            ),
        ),
        64,
    )
    x = torch.randn(2, 3, 64, 64)
    targets = torch.tensor([[0], [1]])
    got = GradCAM('backbone.blocks2')(model, x, None, None, targets)
    last = GradCAM('backbone.blocks2.1')(model, x, None, None, targets)
    assert got.shape == (2, 1, 8, 8) and torch.equal(got, last)


def test_wrong_name_lists_real_candidates():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(type='MobileNetV3', arch='small'),
            head=dict(type='CAMHead', num_classes=3, in_channels=576),
        )
    )
    with pytest.raises(ValueError) as info:
        LayerGradCapture(model, 'backbone.layers.8')
    msg = str(info.value)
    assert "no layer 'backbone.layers.8'" in msg
    # the closest real name first, and the stages of the backbone
    assert "closest names: ['backbone.layer8'" in msg
    assert "modules in 'backbone': ['backbone.layer0'" in msg
    with pytest.raises(ValueError, match="modules in 'head'"):
        LayerGradCapture(model, 'head.fcc')
    with pytest.raises(ValueError, match='modules in the model'):
        LayerGradCapture(model, 'neck')


def test_select_output_rules():
    a, b = torch.zeros(1, 2, 3, 3), torch.ones(1, 4, 5)
    t, rebuild, hw = select_output((a, b))
    assert t is b and hw is None  # the last tensor
    assert rebuild(a)[1] is a and rebuild(a)[0] is a
    t, rebuild, hw = select_output([b, (1, 4), None])
    assert t is b and hw is None  # not a (tensor, hw) pair
    out = rebuild(a)
    assert isinstance(out, list) and out[0] is a and out[1:] == [(1, 4), None]
    t, rebuild, hw = select_output((b, (1, 4)))
    assert t is b and hw == (1, 4)
    t, _, hw = select_output(b, (b, (2, 2)))  # Swin block: hw as argument
    assert hw == (2, 2)
    with pytest.raises(TypeError, match=r"got tuple of \['int', 'str'\]"):
        select_output((1, 'x'))


def test_token_grid():
    # stated grid, with or without the extra tokens
    assert token_grid(13, 1, (3, 4)) == (1, (3, 4))
    assert token_grid(12, 1, (3, 4)) == (0, (3, 4))
    with pytest.raises(ValueError, match='do not fit the grid 3x4'):
        token_grid(20, 1, (3, 4))
    # hierarchical stages: the patch grid halved, rounding up
    assert token_grid(56 * 56, 0, None, (56, 56)) == (0, (56, 56))
    assert token_grid(4 * 3, 0, None, (7, 5)) == (0, (4, 3))
    assert token_grid(1 + 2 * 2, 1, None, (7, 5)) == (1, (2, 2))
    # no backbone grid: the input's aspect ratio, else square
    assert token_grid(1 + 8, 1, None, None, (32, 64)) == (1, (2, 4))
    assert token_grid(16) == (0, (4, 4))
    with pytest.raises(ValueError, match='square'):
        token_grid(8)


def test_tokens_and_gradients_of_a_toy_layer():
    """A module returning tokens with no transformer owner: a square grid,
    no extra token; gradients mapped like the activation."""

    class _Toy(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(3, 4)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            tokens = self.proj(x.flatten(2).transpose(1, 2))  # (N, hw, 4)
            return self.fc(tokens.relu().mean(dim=1))

    torch.manual_seed(0)
    net = _Toy().eval()
    x = torch.randn(2, 3, 3, 3)
    targets = torch.tensor([[0, 1], [1, 0]])
    with LayerGradCapture(net, 'proj') as cap:
        logits = cap.run(lambda: net(x))
        acts = cap.activation
        grads = cap.gradients(logits.gather(1, targets))
    # 12 tokens of a 3 x 4 input: no square grid, no backbone to ask
    with pytest.raises(ValueError, match="layer 'proj': .*square"):
        with LayerGradCapture(net, 'proj') as cap:
            cap.run(lambda: net(torch.randn(1, 3, 3, 4)))
    tokens = net.proj(x.flatten(2).transpose(1, 2))
    assert torch.allclose(acts, tokens.transpose(1, 2).reshape(2, 4, 3, 3))
    # d s_k / d token_{n,p,c} = W[k, c] * 1[token > 0] / 9, by hand
    w = net.fc.weight[targets]  # (N, T, C)
    pos = (acts > 0).float()[:, None]  # (N, 1, C, 3, 3)
    assert torch.allclose(grads, w[..., None, None] * pos / 9, atol=1e-7)
