"""SPA's SCG localizer against a per-image numpy version of the paper /
authors' description, batched vs per image, with CAM and CCAM coarse
maps."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import (SCG, combine_self_correlation,
                                      seed_correlation_maps,
                                      self_correlation,
                                      spa_self_correlation_maps)
from mmwsol.registry import MODELS


# ----------------------------------------------------------------------------
# a straightforward per-image numpy implementation, from the description
# ----------------------------------------------------------------------------
def np_hsc(feat, order, fo_th, so_th, so_weight, combination):
    """HSC of one (C, H, W) layer: P x P, column j = correlations with j."""
    c, h, w = feat.shape
    p = h * w
    f = feat.reshape(c, p).T
    f = f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-10)
    s = np.maximum(f @ f.T, 0)
    s[s < fo_th] = 0
    fo = s / (s.sum(axis=0, keepdims=True) + 1e-5)
    a = s.copy()
    np.fill_diagonal(a, 0)
    a = a / (a.sum(axis=0, keepdims=True) + 1e-5)
    so = a.copy()
    for _ in range(order - 1):
        so = so @ a
        so = so / (so.sum(axis=0, keepdims=True) + 1e-10)
    so[so < so_th / p] = 0
    if combination == 'first':
        return fo
    if combination == 'second':
        return so
    m = np.maximum(fo, so_weight * so)
    return m / (m.sum(axis=0, keepdims=True) + 1e-10)


def np_norm(x):
    return (x - x.min()) / (x.max() - x.min() + 1e-10)


def np_scg(layers, cam, order=2, fo_th=0.1, so_th=0.5, so_weight=2.,
           combination='max', obj_th=0.1, bg_th=0.05):
    """SCG of one image and one target: layers [(C, H, W)], cam (H, W)."""
    hsc = sum(
        np_hsc(f, order, fo_th, so_th, so_weight, combination)
        for f in layers)
    h, w = cam.shape
    v = np_norm(cam).reshape(-1)
    out = []
    for seeds in (np.where(v >= obj_th)[0], np.where(v <= bg_th)[0]):
        if seeds.size == 0:
            out.append(np.zeros(h * w))
            continue
        total = np.zeros(h * w)
        for j in seeds:  # one seed at a time
            col = hsc[:, j]
            total += (col - col.min()) / (col.max() - col.min() + 1e-10)
        out.append(np_norm(total))
    m = out[0] - out[1]
    m = m * (m >= 0)
    return np_norm(m).reshape(h, w)


def _feats(n=3, sizes=((6, 7), (6, 7)), channels=(5, 9), seed=0):
    g = torch.Generator().manual_seed(seed)
    # mostly positive, like post-ReLU features, with some structure
    return [
        torch.randn(n, c, *s, generator=g, dtype=torch.float64).relu() +
        0.1 * torch.rand(n, c, *s, generator=g, dtype=torch.float64)
        for c, s in zip(channels, sizes)
    ]


# ----------------------------------------------------------------------------
# pure functions
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('order', [1, 2, 3])
def test_self_correlation_matches_numpy(order):
    (feat, ) = _feats(n=2, sizes=((5, 6), ), channels=(7, ))
    fo, so = self_correlation(feat, order, fo_th=0.2, so_th=0.5)
    assert fo.dtype == torch.float64 and fo.shape == (2, 30, 30)
    for i in range(2):
        f = feat[i].numpy()
        np.testing.assert_allclose(
            fo[i].numpy(), np_hsc(f, order, 0.2, 0.5, 1., 'first'),
            atol=1e-12)
        np.testing.assert_allclose(
            so[i].numpy(), np_hsc(f, order, 0.2, 0.5, 1., 'second'),
            atol=1e-12)
        mx = combine_self_correlation(fo[i:i + 1], so[i:i + 1], 'max', 2.)
        np.testing.assert_allclose(
            mx[0].numpy(), np_hsc(f, order, 0.2, 0.5, 2., 'max'), atol=1e-12)
    # columns of the first order sum to 1 (up to the epsilon)
    assert torch.allclose(fo.sum(1), torch.ones(2, 30, dtype=fo.dtype),
                          atol=1e-3)
    assert self_correlation(feat, order, with_high_order=False)[1] is None


@pytest.mark.parametrize('combination', ['max', 'first', 'second'])
@pytest.mark.parametrize('params', [
    dict(fo_th=0.1, so_th=0.5, so_weight=2., obj_th=0.1, bg_th=0.05),  # CUB
    dict(fo_th=0.2, so_th=0.2, so_weight=1., obj_th=0.1, bg_th=0.05),  # IN
    dict(fo_th=0.0, so_th=1.0, so_weight=1., obj_th=0.5, bg_th=0.3),
])
def test_scg_matches_numpy(combination, params):
    feats = _feats()
    g = torch.Generator().manual_seed(1)
    coarse = torch.randn(3, 2, 6, 7, generator=g, dtype=torch.float64)
    maps = spa_self_correlation_maps(
        feats, coarse, order=2, combination=combination, **params)
    assert maps.shape == (3, 2, 6, 7) and maps.dtype == torch.float64
    for i in range(3):
        for t in range(2):
            ref = np_scg([f[i].numpy() for f in feats], coarse[i, t].numpy(),
                         order=2, combination=combination, **params)
            np.testing.assert_allclose(maps[i, t].numpy(), ref, atol=1e-7)


def test_scg_float32_close_to_numpy():
    feats = [f.float() for f in _feats(seed=3)]
    coarse = torch.randn(3, 1, 6, 7, generator=torch.Generator().manual_seed(
        4))
    maps = spa_self_correlation_maps(feats, coarse)
    assert maps.dtype == torch.float32
    for i in range(3):
        ref = np_scg([f[i].double().numpy() for f in feats],
                     coarse[i, 0].double().numpy())
        np.testing.assert_allclose(maps[i, 0].numpy(), ref, atol=1e-4)


def test_layers_of_different_size_are_resampled():
    feats = _feats(sizes=((8, 8), (4, 4)), channels=(4, 6))
    coarse = torch.randn(3, 1, 4, 4, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(2))
    for size, out in [('max', (8, 8)), ('min', (4, 4)), ('last', (4, 4)),
                      ((6, 5), (6, 5))]:
        maps = spa_self_correlation_maps(feats, coarse, size=size)
        assert maps.shape == (3, 1, *out)
        same = [
            F.interpolate(f, size=out, mode='bilinear', align_corners=False)
            if f.shape[-2:] != out else f for f in feats
        ]
        cam = F.interpolate(coarse, size=out, mode='bilinear',
                            align_corners=False)
        for i in range(3):
            ref = np_scg([f[i].numpy() for f in same], cam[i, 0].numpy())
            np.testing.assert_allclose(maps[i, 0].numpy(), ref, atol=1e-7)


def test_edge_cases():
    feats = _feats(n=2)
    # constant (or NaN) coarse map: no object seed -> all-zero map
    coarse = torch.ones(2, 1, 6, 7, dtype=torch.float64)
    coarse[1, 0, 0, 0] = float('nan')
    assert spa_self_correlation_maps(feats, coarse).eq(0).all()
    # delta_h above 1: no object seed either
    coarse = torch.randn(2, 1, 6, 7, dtype=torch.float64)
    assert spa_self_correlation_maps(feats, coarse, obj_th=1.5).eq(0).all()
    # no background seed: the map is the normalised object correlation
    maps = spa_self_correlation_maps(feats, coarse, bg_th=-1.)
    assert maps.amax(dim=(2, 3)).eq(1).all()
    ref = np_scg([f[0].numpy() for f in feats], coarse[0, 0].numpy(),
                 bg_th=-1.)
    np.testing.assert_allclose(maps[0, 0].numpy(), ref, atol=1e-7)
    with pytest.raises(ValueError):
        seed_correlation_maps(torch.zeros(2, 4, 4), torch.zeros(2, 1, 5))
    with pytest.raises(ValueError):
        self_correlation(torch.zeros(1, 2, 3, 3), order=0)
    with pytest.raises(ValueError):
        combine_self_correlation(torch.zeros(1, 4, 4), None, 'max')


# ----------------------------------------------------------------------------
# the localizer in a classifier
# ----------------------------------------------------------------------------
def _model(head, coarse, **scg):
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet', stage_channels=(4, 8, 12, 16),
                out_indices=(1, 2, 3)),
            head=head,
            localizer=dict(type='SCG', coarse=coarse, **scg),
            topk_maps=2))
    model.init_weights()
    return model.eval()


HEADS = [
    dict(type='CAMHead', num_classes=5, in_channels=16),
    dict(type='RAMHead', num_classes=5, in_channels=16, mid_channels=8),
]
COARSE = [
    dict(type='CAM'),
    dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
    dict(type='CCAM', combination=dict(type='TopBottom', top=1, bottom=1)),
]


@pytest.mark.parametrize('head', HEADS, ids=lambda h: h['type'])
@pytest.mark.parametrize('coarse', COARSE,
                         ids=['CAM', 'CCAM-quadratic', 'CCAM-top1-bottom1'])
def test_localizer_with_coarse_maps(head, coarse):
    torch.manual_seed(0)
    model = _model(head, coarse, feat_indices=(1, 2))
    x = torch.randn(3, 3, 32, 32)
    samples = [DataSample().set_gt_label(t) for t in (0, 3, 4)]
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        targets = torch.tensor([[0], [3], [4]])
        raw = model.localizer(model, x, feats, logits, targets)
        coarse_maps = model.localizer.coarse(model, x, feats, logits,
                                             targets)
        out = model.predict(x, samples)
    assert raw.shape == (3, 1, 4, 4)
    for i in range(3):
        ref = np_scg([feats[1][i].double().numpy(),
                      feats[2][i].double().numpy()],
                     coarse_maps[i, 0].double().numpy())
        np.testing.assert_allclose(raw[i, 0].numpy(), ref, atol=1e-4)
    assert out[0].gt_cam.shape == (32, 32)
    assert out[0].pred_cams.shape == (2, 32, 32)
    assert 0 <= float(out[0].gt_cam.min()) <= float(out[0].gt_cam.max()) <= 1


def test_batched_equals_per_image():
    torch.manual_seed(0)
    # layers of different size: stage 1 (8x8) and stage 3 (4x4)
    model = _model(HEADS[1], COARSE[0], feat_indices=(0, 2), size='max')
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        targets = logits.topk(3, dim=1).indices
        batched = model.localizer.localize(model, x, feats, logits, targets)
        model.localizer.max_batch = 3  # chunks of 3 + 1 images
        chunked = model.localizer.localize(model, x, feats, logits, targets)
        assert torch.allclose(batched, chunked, atol=1e-5)
        model.localizer.max_batch = None
        for i in range(4):
            one = model.localizer.localize(
                model, x[i:i + 1], tuple(f[i:i + 1] for f in feats),
                logits[i:i + 1], targets[i:i + 1])
            assert torch.allclose(batched[i:i + 1], one, atol=1e-5)


def test_localizer_config_errors():
    with pytest.raises(ValueError):
        SCG(combination='min')
    with pytest.raises(ValueError):
        SCG(size='median')
    with pytest.raises(ValueError):
        SCG(feat_indices=())
    with pytest.raises(ValueError):
        SCG(max_batch=0)
    model = _model(HEADS[0], COARSE[0], feat_indices=(0, 5))
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(IndexError, match='out_indices'):
        model.predict(x)
