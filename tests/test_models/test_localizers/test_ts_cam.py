"""TS-CAM: the map formula, and the localizer on WSOLClassifier + DeiT."""

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import TSCAM, ts_cam_maps
from mmwsol.registry import MODELS

ARCH = {
    'embed_dims': 12,
    'num_layers': 3,
    'num_heads': 3,
    'feedforward_channels': 24,
}


def test_ts_cam_maps_by_hand():
    torch.manual_seed(0)
    layers, heads, extra, h, w = 2, 2, 2, 2, 3  # DeiT-like, 2 x 3 grid
    att = torch.rand(layers, 1, heads, extra + h * w)
    sem = torch.randn(1, 4, h, w)
    targets = torch.tensor([[3, 0, 3]])
    got = ts_cam_maps(att, sem, targets)
    assert got.shape == (1, 3, h, w)
    for t, k in enumerate(targets[0].tolist()):
        for i in range(h):
            for j in range(w):
                a = sum(
                    sum(att[lay, 0, hd, extra + i * w + j] for hd in range(2))
                    / 2
                    for lay in range(layers)
                )
                assert got[0, t, i, j].item() == pytest.approx(
                    (a * sem[0, k, i, j]).item(), rel=1e-5
                )


def test_ts_cam_maps_checks_shapes():
    with pytest.raises(ValueError, match='extra tokens >= 1'):
        ts_cam_maps(
            torch.rand(2, 1, 3, 9),
            torch.rand(1, 2, 3, 3),
            torch.zeros(1, 1, dtype=torch.long),
        )
    with pytest.raises(ValueError, match='layers, N, heads, L'):
        ts_cam_maps(
            torch.rand(1, 3, 10),
            torch.rand(1, 2, 3, 3),
            torch.zeros(1, 1, dtype=torch.long),
        )


def _model(backbone_type='DistilledVisionTransformer', localizer='TSCAM'):
    init_default_scope('mmwsol')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type=backbone_type, arch=ARCH, img_size=32, patch_size=16
            ),
            head=dict(type='TSCAMHead', num_classes=3, in_channels=12),
            localizer=dict(type=localizer),
        )
    )
    model.init_weights()
    model.eval()
    return model


def _explicit_maps(model, x, targets):
    """Reference: per layer the full softmax(Q K^T / sqrt(d)) from the qkv
    weights on the layer's normalised input, class row of the patch
    tokens, mean over heads, sum over layers; times the head's 3x3 conv of
    the patch tokens after the final norm (from the raw token output)."""
    inputs = []
    hooks = [
        layer.attn.register_forward_pre_hook(
            lambda m, a: inputs.append((m, a[0]))
        )
        for layer in model.backbone.layers
    ]
    model.backbone.out_type = 'raw'
    try:
        tokens = model.backbone(x)[-1]
    finally:
        model.backbone.out_type = 'featmap'
        for hook in hooks:
            hook.remove()
    extra = model.backbone.num_extra_tokens
    n, length, c = tokens.shape
    hw = (x.shape[2] // 16, x.shape[3] // 16)
    total = torch.zeros(n, length)
    for attn, h in inputs:
        qkv = h @ attn.qkv.weight.t() + attn.qkv.bias
        q, k, _ = qkv.reshape(n, length, 3, attn.num_heads, -1).unbind(2)
        full = torch.einsum('nihd,njhd->nhij', q, k) / attn.head_dims**0.5
        total += full.softmax(-1)[:, :, 0].mean(dim=1)
    patches = tokens[:, extra:].transpose(1, 2).reshape(n, c, *hw)
    sem = model.head.conv(patches)
    att = total[:, extra:].reshape(n, 1, *hw)
    return torch.stack(
        [att[i, 0] * sem[i, targets[i]] for i in range(n)]
    )  # (N, T, h, w)


@pytest.mark.parametrize(
    'backbone, hw',
    [
        ('DistilledVisionTransformer', (32, 48)),  # 2 extra tokens, 2 x 3
        ('VisionTransformer', (48, 32)),  # 1 extra token, 3 x 2
    ],
)
def test_localizer_equals_explicit_reference(backbone, hw):
    model = _model(backbone)
    x = torch.randn(2, 3, *hw)
    targets = torch.tensor([[0, 2], [1, 1]])
    with torch.no_grad():
        expected = _explicit_maps(model, x, targets)
        feats = model.extract_feat(x)
        logits = model.head(feats)
        alone = model.localizer(model, x, feats, logits, targets)
        with model.localizer.shared_forward(model, x) as (f2, l2):
            shared = model.localizer(model, x, f2, l2, targets)
    torch.testing.assert_close(l2, logits)
    torch.testing.assert_close(alone, expected, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(shared, expected, rtol=1e-4, atol=1e-6)


def test_predict_gives_normalised_finite_maps():
    model = _model()
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, 32, 48), samples)
    for sample in out:
        cam = sample.gt_cam
        assert cam.shape == (32, 48) and torch.isfinite(cam).all()
        assert cam.min() >= 0 and cam.max() <= 1 and sample.gt_cam_valid
        assert cam.max() == 1  # min-max normalised, not constant


def test_shared_forward_checks_the_batch():
    model = _model()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        with model.localizer.shared_forward(model, x) as (feats, logits):
            with pytest.raises(ValueError, match='same batch'):
                model.localizer(
                    model,
                    x[:1],
                    feats,
                    logits[:1],
                    torch.zeros(1, 1, dtype=torch.long),
                )


def test_needs_a_vit_like_backbone():
    init_default_scope('mmwsol')
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(type='TinyWSOLNet'),
            head=dict(type='TSCAMHead', num_classes=3, in_channels=256),
            localizer=dict(type='TSCAM'),
        )
    )
    with pytest.raises(TypeError, match='ViT-like backbone'):
        model.predict(
            torch.randn(1, 3, 64, 64), [DataSample().set_gt_label(0)]
        )
    assert repr(TSCAM()) == "TSCAM(upsample='bilinear')"


def test_predict_runs_backbone_and_conv_once():
    """Weights captured, not recomputed: one pass of the backbone and of
    the head's 3x3 convolution per predict (the logits and the maps)."""
    model = _model()
    calls = {'embed': 0, 'conv': 0}

    def count(key):
        def hook(*args):
            calls[key] += 1

        return hook

    model.backbone.patch_embed.register_forward_hook(count('embed'))
    model.head.conv.register_forward_hook(count('conv'))
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    model.topk_maps = 2
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, 32, 32), samples)
    assert calls == {'embed': 1, 'conv': 1}
    assert out[0].pred_cams.shape == (2, 32, 32)
