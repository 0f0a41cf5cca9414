import pytest
import torch
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import (
    CAM,
    PCS,
    BagCAMs,
    GradCAM,
    GradCAMPlusPlus,
    bagcams_maps,
    class_activation_maps,
    grad_cam_plus_plus_maps,
    normalize_maps,
)
from mmwsol.registry import MODELS

LOCALIZERS = ('GradCAM', 'GradCAMPlusPlus', 'PCS', 'BagCAMs')


def _model(topk_maps=2, num_classes=5, seed=0):
    """A 2-stage TinyWSOLNet + GAP + linear (CAMHead): stage 1 is the CAM
    layer, stage 0 an intermediate one."""
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(4, 6),
                stage_blocks=(1, 1),
                pool_strides=(2, 1),
                out_indices=(1,),
            ),
            head=dict(type='CAMHead', num_classes=num_classes, in_channels=6),
            localizer=dict(type='CAM'),
            topk_maps=topk_maps,
        )
    )
    model.init_weights()
    with torch.no_grad():  # non-trivial BN statistics and classifier
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        model.head.fc.weight.normal_()
        model.head.fc.bias.normal_()
    return model.eval()


def _raw(localizer, model, x, targets):
    return localizer(model, x, None, None, targets)


def _last_layer_setup():
    model = _model()
    x = torch.randn(3, 3, 12, 10)  # CAM layer: 6 x 6 x 5
    targets = torch.tensor([[0, 4], [2, 2], [3, 1]])
    with torch.no_grad():
        feats = model.extract_feat(x)[-1]
        logits = model(x, mode='tensor')
    weights = model.head.fc.weight.detach()
    cam = class_activation_maps(feats, weights, targets)
    return model, x, targets, feats, logits, weights, cam


def test_gradcam_and_pcs_on_gap_linear_last_layer_are_cam():
    """dS_k/dZ_{c,i} = W[k, c] / hw: GradCAM = PCS = CAM / hw."""
    model, x, targets, feats, logits, _, cam = _last_layer_setup()
    hw = feats.shape[-1] * feats.shape[-2]
    layer = 'backbone.stages.1'
    for cls in (GradCAM, PCS):
        raw = _raw(cls(layer, relu=False), model, x, targets)
        assert torch.allclose(raw, cam / hw, atol=1e-6)
        raw = _raw(cls(layer), model, x, targets)
        assert torch.allclose(raw, cam.clamp(min=0) / hw, atol=1e-6)
    # hence the same normalised map as CAM, up to the upsampling
    pcs = PCS(layer, relu=False, upsample='bicubic').localize(
        model, x, None, logits, targets
    )
    ref = CAM().localize(model, x, (feats,), logits, targets)
    assert torch.allclose(pcs, ref, atol=1e-5)


def test_gradcam_plus_plus_on_gap_linear_last_layer():
    """Uniform gradient: alpha = 1 / (2 + W z), w_c = relu(W) / (2 + W z)."""
    model, x, targets, feats, _, weights, _ = _last_layer_setup()
    z = feats.mean(dim=(2, 3))  # (N, C)
    w = weights[targets]  # (N, T, C)
    coef = w.clamp(min=0) / (2 + w * z[:, None])
    expected = torch.einsum('ntc,nchw->nthw', coef, feats).clamp(min=0)
    for variant in ('paper', 'reference'):
        raw = _raw(
            GradCAMPlusPlus('backbone.stages.1', variant=variant, eps=0),
            model,
            x,
            targets,
        )
        assert torch.allclose(raw, expected, atol=1e-5)


def test_gradcam_plus_plus_variants_differ_on_varying_gradients():
    torch.manual_seed(0)
    acts, grads = torch.rand(2, 3, 4, 4), torch.randn(2, 1, 3, 4, 4)
    a = grad_cam_plus_plus_maps(acts, grads, relu=False)
    b = grad_cam_plus_plus_maps(acts, grads, relu=False, variant='reference')
    assert not torch.allclose(a, b)
    # hand computation of the paper's alpha at one channel
    g, z = grads[0, 0, 1], acts[0, 1]
    alpha = g**2 / (2 * g**2 + g**3 * z.sum())
    w1 = (alpha * g.clamp(min=0)).sum()
    weights = [
        (
            g2**2 / (2 * g2**2 + g2**3 * acts[0, c].sum()) * g2.clamp(min=0)
        ).sum()
        for c, g2 in enumerate(grads[0, 0])
    ]
    assert torch.allclose(weights[1], w1)
    expected = sum(wc * acts[0, c] for c, wc in enumerate(weights))
    assert torch.allclose(a[0, 0], expected, atol=1e-5)
    with pytest.raises(ValueError, match='variant'):
        grad_cam_plus_plus_maps(acts, grads, variant='x')


def _eq12_loops(acts, grads, score, pair_channels, channel_relu):
    """Eq. 12 with explicit loops over i, m, c1, c2 (one sample/target)."""
    c_num, h, w = acts.shape
    pos = [(y, x) for y in range(h) for x in range(w)]
    out = torch.zeros(h, w, dtype=torch.float64)
    for iy, ix in pos:
        total = 0.0
        for c2 in range(c_num):
            term = 0.0
            for my, mx in pos:
                for c1 in range(c_num):
                    if pair_channels and c1 != c2:
                        continue
                    term += score * (1 + grads[c1, my, mx] * acts[c1, my, mx])
            term = term * grads[c2, iy, ix] * acts[c2, iy, ix]
            total += max(term, 0.0) if channel_relu else term
        out[iy, ix] = total
    return out


@pytest.mark.parametrize('pair_channels', [True, False])
@pytest.mark.parametrize('channel_relu', [True, False])
def test_bagcams_equals_explicit_double_sum(pair_channels, channel_relu):
    torch.manual_seed(0)
    acts = torch.randn(2, 3, 3, 2, dtype=torch.float64)
    grads = torch.randn(2, 2, 3, 3, 2, dtype=torch.float64) * 0.5
    scores = torch.tensor([[2.0, 0.5], [1.5, 3.0]], dtype=torch.float64)
    maps = bagcams_maps(acts, grads, pair_channels, channel_relu)
    for n in range(2):
        for t in range(2):
            s = float(scores[n, t])
            ref = _eq12_loops(
                acts[n], grads[n, t], s, pair_channels, channel_relu
            )
            # eq. 12's leading s_k (> 0 here) is a constant factor
            assert torch.allclose(s * maps[n, t], ref, atol=1e-10)


def test_bagcams_paired_matches_the_authors_gap_form():
    """sum_c relu((GAP(g z) + 1) * g z) of the authors' code, up to hw."""
    torch.manual_seed(1)
    acts, grads = torch.randn(2, 4, 3, 5), torch.randn(2, 3, 4, 3, 5)
    gz = grads * acts[:, None]
    code = ((gz.mean(dim=(-2, -1), keepdim=True) + 1) * gz).clamp(min=0).sum(2)
    assert torch.allclose(bagcams_maps(acts, grads), 15 * code, atol=1e-5)
    assert torch.allclose(
        normalize_maps(bagcams_maps(acts, grads)),
        normalize_maps(code),
        atol=1e-6,
    )
    # eq. 12 as printed (no channel ReLU) is PCS of log s up to a constant
    unpaired = bagcams_maps(acts, grads, False, False)
    pcs = gz.sum(2)
    ratio = unpaired / pcs
    assert torch.allclose(ratio, ratio[..., :1, :1].expand_as(ratio))


def test_bagcams_on_gap_linear_last_layer():
    model, x, targets, feats, logits, weights, _ = _last_layer_setup()
    hw = feats.shape[-1] * feats.shape[-2]
    s = logits.gather(1, targets)  # (N, T)
    g = weights[targets] / hw / s[..., None]  # d log s / dZ, (N, T, C)
    gz = g[..., None, None] * feats[:, None]
    expected = (
        ((hw + gz.sum(dim=(-2, -1), keepdim=True)) * gz).clamp(min=0).sum(2)
    )
    raw = _raw(BagCAMs('backbone.stages.1'), model, x, targets)
    assert torch.allclose(raw, expected, atol=1e-5)


@pytest.mark.parametrize('name', LOCALIZERS)
def test_maps_do_not_depend_on_the_batch(name):
    model = _model(seed=2).train()  # BN in train mode must not matter
    x = torch.randn(4, 3, 16, 16)
    targets = torch.tensor([[0, 1], [2, 3], [4, 0], [1, 1]])
    loc = MODELS.build(dict(type=name, layer='backbone.stages.0'))
    batch = loc.localize(model, x, None, torch.zeros(4, 5), targets)
    for i in (0, 2):
        alone = loc.localize(
            model, x[i : i + 1], None, torch.zeros(1, 5), targets[i : i + 1]
        )
        assert torch.allclose(batch[i : i + 1], alone, atol=1e-5)
    assert model.training
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize('name', LOCALIZERS)
def test_predict_with_gt_and_topk_maps_under_no_grad(name):
    model = _model(topk_maps=3)
    for layer in ('backbone.stages.0', 'backbone.stages.1', 'backbone'):
        model.localizer = MODELS.build(dict(type=name, layer=layer))
        x = torch.randn(2, 3, 16, 12)
        samples = [DataSample().set_gt_label(i) for i in (1, 4)]
        with torch.no_grad():
            out = model.predict(x, samples)
            assert not torch.is_grad_enabled()
        for i, s in enumerate(out):
            assert s.gt_cam.shape == (16, 12)
            assert s.pred_cams.shape == (3, 16, 12)
            assert 0 <= float(s.gt_cam.min()) <= float(s.gt_cam.max()) <= 1
            assert torch.isfinite(s.pred_cams).all()
            # the GT map is the map of the GT class, wherever it is ranked
            labels = s.pred_cam_labels.tolist()
            if samples[i].gt_label.item() in labels:
                j = labels.index(samples[i].gt_label.item())
                assert torch.allclose(s.gt_cam, s.pred_cams[j], atol=1e-5)
        assert all(p.grad is None for p in model.parameters())
        assert not model.training
        for m in model.modules():
            assert not m._forward_hooks and not m._backward_hooks


def test_build_repr_and_errors():
    loc = MODELS.build(dict(type='BagCAMs', layer='backbone.layer3'))
    assert (loc.score, loc.guided_relu, loc.upsample) == (
        'log',
        True,
        'bilinear',
    )
    assert loc.pair_channels and loc.channel_relu
    assert "layer='backbone.layer3'" in repr(loc)
    for name in ('GradCAM', 'GradCAMPlusPlus', 'PCS'):
        loc = MODELS.build(dict(type=name, layer='backbone.layer4'))
        assert (loc.score, loc.guided_relu, loc.relu) == ('logit', False, True)
    with pytest.raises(ValueError, match='score'):
        GradCAM('backbone', score='prob')
    with pytest.raises(ValueError, match='layer'):
        PCS('')
    model = _model()
    with pytest.raises(ValueError, match='no layer'):
        _raw(
            GradCAM('backbone.stages.7'),
            model,
            torch.randn(1, 3, 8, 8),
            torch.tensor([[0]]),
        )
    with pytest.raises(ValueError, match='spatial'):
        _raw(
            GradCAM('head.pool'),
            model,
            torch.randn(1, 3, 8, 8),
            torch.tensor([[0]]),
        )
    assert all(not m._forward_hooks for m in model.modules())


def test_predict_under_inference_mode():
    model = _model(topk_maps=1)
    model.localizer = BagCAMs('backbone.stages.0')
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        ref = model.predict(x, [DataSample().set_gt_label(i) for i in (0, 3)])
    with torch.inference_mode():
        out = model.predict(x, [DataSample().set_gt_label(i) for i in (0, 3)])
        assert torch.is_inference_mode_enabled()
    for a, b in zip(out, ref):
        assert torch.allclose(a.gt_cam, b.gt_cam, atol=1e-6)
        assert torch.allclose(a.pred_cams, b.pred_cams, atol=1e-6)


def _gradcampp_by_hand(z, g, reference, eps):
    """Grad-CAM++ of one target with python floats; ``z[c][j]``, ``g[c][j]``
    (channel c, position j). alpha_cj = g_cj^2 / (2 g_cj^2 + S_cj + eps),
    S_cj = sum_m z_cm g_cm^3 (reference) or g_cj^3 sum_m z_cm (paper);
    w_c = sum_j alpha_cj relu(g_cj); map_j = relu(sum_c w_c z_cj)."""
    weights = []
    for zc, gc in zip(z, g):
        zg3 = sum(zm * gm**3 for zm, gm in zip(zc, gc))
        spatial = [zg3 if reference else gj**3 * sum(zc) for gj in gc]
        alpha = [gj**2 / (2 * gj**2 + sj + eps) for gj, sj in zip(gc, spatial)]
        weights.append(sum(a * max(gj, 0.0) for a, gj in zip(alpha, gc)))
    return [
        max(sum(w * zc[j] for w, zc in zip(weights, z)), 0.0)
        for j in range(len(z[0]))
    ]


def test_gradcam_plus_plus_eps_on_tiny_denominators():
    """Channel 0 has gradients of 1e-4, so its denominators are ~5e-8 <
    1e-7: the authors' eps = 1e-7 ('reference') cuts its pixel weights by
    ~3, while channel 1 (gradients ~0.1) keeps its own: the normalised map
    changes."""
    z = [[1000.0, 3000.0, 500.0], [2.0, 0.5, 1.0]]
    g = [[1e-4, 2e-4, 1e-4], [0.1, 0.2, -0.1]]
    acts = torch.tensor(z, dtype=torch.float64).view(1, 2, 1, 3)
    grads = torch.tensor(g, dtype=torch.float64).view(1, 1, 2, 1, 3)
    # e.g. alpha_00 = 1e-8 / (2e-8 + S + eps), S = (1 + 24 + 0.5) * 1e-9:
    # 0.2198 without eps, 0.0687 with the authors' 1e-7

    def check(expected, **kwargs):
        out = grad_cam_plus_plus_maps(acts, grads, **kwargs).flatten()
        assert torch.allclose(
            out, torch.tensor(expected, dtype=out.dtype), rtol=1e-9, atol=0
        )
        return normalize_maps(out.view(1, 1, 1, 3)).flatten()

    ref = check(_gradcampp_by_hand(z, g, True, 1e-7), variant='reference')
    ref0 = check(
        _gradcampp_by_hand(z, g, True, 0.0), variant='reference', eps=0
    )
    assert (ref - ref0).abs().max() > 0.3
    # the paper's denominator: no eps by default; pytorch-grad-cam's 1e-6
    check(_gradcampp_by_hand(z, g, False, 0.0))
    check(_gradcampp_by_hand(z, g, False, 1e-6), eps=1e-6)
    # the localizer passes its eps on, and checks it
    assert GradCAMPlusPlus('backbone', variant='reference').eps == 1e-7
    assert GradCAMPlusPlus('backbone').eps == 0.0
    assert GradCAMPlusPlus('backbone', eps=1e-6).eps == 1e-6
    assert 'eps=1e-07' in repr(
        GradCAMPlusPlus('backbone', variant='reference')
    )
    with pytest.raises(ValueError, match='eps'):
        GradCAMPlusPlus('backbone', eps=-1.0)
    with pytest.raises(ValueError, match='variant'):
        GradCAMPlusPlus('backbone', variant='x')
