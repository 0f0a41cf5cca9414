"""SPA's SCG localizer against a per-image numpy version of the paper /
authors' description, batched vs per image, with CAM and CCAM coarse
maps."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import (
    SCG,
    combine_self_correlation,
    seed_correlation_maps,
    self_correlation,
    spa_self_correlation_maps,
)
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


def np_scg(
    layers,
    cam,
    order=2,
    fo_th=0.1,
    so_th=0.5,
    so_weight=2.0,
    combination='max',
    obj_th=0.1,
    bg_th=0.05,
    normalized=False,
):
    """SCG of one image and one target: layers [(C, H, W)], cam (H, W)
    (min-max normalised here unless ``normalized``)."""
    hsc = sum(
        np_hsc(f, order, fo_th, so_th, so_weight, combination) for f in layers
    )
    h, w = cam.shape
    v = (cam if normalized else np_norm(cam)).reshape(-1)
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


def np_resize_matrix(n_in, n_out):
    """(n_out, n_in) linear interpolation with half-pixel centres, edges
    clamped (OpenCV's INTER_LINEAR without antialiasing)."""
    r = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = max((i + 0.5) * n_in / n_out - 0.5, 0.0)
        x0 = min(int(np.floor(src)), n_in - 1)
        x1 = min(x0 + 1, n_in - 1)
        lam = src - x0 if x0 < n_in - 1 else 0.0
        r[i, x0] += 1 - lam
        r[i, x1] += lam
    return r


def np_resize(m, size):
    """Bilinear resize of a 2-D array to ``size = (h, w)``."""
    return (
        np_resize_matrix(m.shape[0], size[0])
        @ m
        @ np_resize_matrix(m.shape[1], size[1]).T
    )


def _feats(n=3, sizes=((6, 7), (6, 7)), channels=(5, 9), seed=0):
    g = torch.Generator().manual_seed(seed)
    # mostly positive, like post-ReLU features, with some structure
    return [
        torch.randn(n, c, *s, generator=g, dtype=torch.float64).relu()
        + 0.1 * torch.rand(n, c, *s, generator=g, dtype=torch.float64)
        for c, s in zip(channels, sizes)
    ]


# ----------------------------------------------------------------------------
# pure functions
# ----------------------------------------------------------------------------
@pytest.mark.parametrize('order', [1, 2, 3])
def test_self_correlation_matches_numpy(order):
    (feat,) = _feats(n=2, sizes=((5, 6),), channels=(7,))
    fo, so = self_correlation(feat, order, fo_th=0.2, so_th=0.5)
    assert fo.dtype == torch.float64 and fo.shape == (2, 30, 30)
    for i in range(2):
        f = feat[i].numpy()
        np.testing.assert_allclose(
            fo[i].numpy(), np_hsc(f, order, 0.2, 0.5, 1.0, 'first'), atol=1e-12
        )
        np.testing.assert_allclose(
            so[i].numpy(),
            np_hsc(f, order, 0.2, 0.5, 1.0, 'second'),
            atol=1e-12,
        )
        mx = combine_self_correlation(fo[i : i + 1], so[i : i + 1], 'max', 2.0)
        np.testing.assert_allclose(
            mx[0].numpy(), np_hsc(f, order, 0.2, 0.5, 2.0, 'max'), atol=1e-12
        )
    # columns of the first order sum to 1 (up to the epsilon)
    assert torch.allclose(
        fo.sum(1), torch.ones(2, 30, dtype=fo.dtype), atol=1e-3
    )
    assert self_correlation(feat, order, with_high_order=False)[1] is None


@pytest.mark.parametrize('combination', ['max', 'first', 'second'])
@pytest.mark.parametrize(
    'params',
    [
        dict(
            fo_th=0.1, so_th=0.5, so_weight=2.0, obj_th=0.1, bg_th=0.05
        ),  # CUB
        dict(
            fo_th=0.2, so_th=0.2, so_weight=1.0, obj_th=0.1, bg_th=0.05
        ),  # IN
        dict(fo_th=0.0, so_th=1.0, so_weight=1.0, obj_th=0.5, bg_th=0.3),
    ],
)
def test_scg_matches_numpy(combination, params):
    feats = _feats()
    g = torch.Generator().manual_seed(1)
    coarse = torch.randn(3, 2, 6, 7, generator=g, dtype=torch.float64)
    maps = spa_self_correlation_maps(
        feats, coarse, order=2, combination=combination, **params
    )
    assert maps.shape == (3, 2, 6, 7) and maps.dtype == torch.float64
    for i in range(3):
        for t in range(2):
            ref = np_scg(
                [f[i].numpy() for f in feats],
                coarse[i, t].numpy(),
                order=2,
                combination=combination,
                **params,
            )
            np.testing.assert_allclose(maps[i, t].numpy(), ref, atol=1e-7)


def test_scg_float32_close_to_numpy():
    feats = [f.float() for f in _feats(seed=3)]
    coarse = torch.randn(
        3, 1, 6, 7, generator=torch.Generator().manual_seed(4)
    )
    maps = spa_self_correlation_maps(feats, coarse)
    assert maps.dtype == torch.float32
    for i in range(3):
        ref = np_scg(
            [f[i].double().numpy() for f in feats],
            coarse[i, 0].double().numpy(),
        )
        np.testing.assert_allclose(maps[i, 0].numpy(), ref, atol=1e-4)


def test_layers_of_different_size_are_resampled():
    feats = _feats(sizes=((8, 8), (4, 4)), channels=(4, 6))
    coarse = torch.randn(
        3,
        1,
        4,
        4,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(2),
    )
    for size, out in [
        ('max', (8, 8)),
        ('min', (4, 4)),
        ('last', (4, 4)),
        ((6, 5), (6, 5)),
    ]:
        maps = spa_self_correlation_maps(feats, coarse, size=size)
        assert maps.shape == (3, 1, *out)
        same = [
            F.interpolate(f, size=out, mode='bilinear', align_corners=False)
            if f.shape[-2:] != out
            else f
            for f in feats
        ]
        cam = F.interpolate(
            coarse, size=out, mode='bilinear', align_corners=False
        )
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
    maps = spa_self_correlation_maps(feats, coarse, bg_th=-1.0)
    assert maps.amax(dim=(2, 3)).eq(1).all()
    ref = np_scg(
        [f[0].numpy() for f in feats], coarse[0, 0].numpy(), bg_th=-1.0
    )
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
                type='TinyWSOLNet',
                stage_channels=(4, 8, 12, 16),
                out_indices=(1, 2, 3),
            ),
            head=head,
            localizer=dict(type='SCG', coarse=coarse, **scg),
            topk_maps=2,
        )
    )
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
@pytest.mark.parametrize(
    'coarse', COARSE, ids=['CAM', 'CCAM-quadratic', 'CCAM-top1-bottom1']
)
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
        coarse_maps = model.localizer.coarse(model, x, feats, logits, targets)
        out = model.predict(x, samples)
    assert raw.shape == (3, 1, 4, 4)
    for i in range(3):
        ref = np_scg(
            [feats[1][i].double().numpy(), feats[2][i].double().numpy()],
            coarse_maps[i, 0].double().numpy(),
        )
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
                model,
                x[i : i + 1],
                tuple(f[i : i + 1] for f in feats),
                logits[i : i + 1],
                targets[i : i + 1],
            )
            assert torch.allclose(batched[i : i + 1], one, atol=1e-5)


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


# ----------------------------------------------------------------------------
# SPA's own coarse map: ReLU(class channel with its bias), and the round trip
# of the normalised map through the image size
# ----------------------------------------------------------------------------
class _TinyHead(torch.nn.Module):
    """Two channels, two classes, known weights and bias."""

    def cam_features(self, feats):
        return feats[-1]

    def class_weights(self):
        return torch.tensor([[0.5, 0.5], [1.0, -2.0]])

    def class_bias(self):
        return torch.tensor([0.25, -3.0])


class _TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = _TinyHead()


def test_cam_with_bias_and_relu_by_hand():
    """Class 1: 1 * F0 - 2 * F1 - 3 = [[-2, -3], [0, 3]]; its ReLU
    [[0, 0], [0, 3]] normalises to a single object seed, where the bias-free
    map [[1, 0], [3, 6]] -> [[1/6, 0], [1/2, 1]] has three."""
    feats = (
        torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, -1.0]]])[
            None
        ],
    )
    targets = torch.tensor([[1]])
    model = _TinyModel()
    cam = MODELS.build(dict(type='CAM'))
    spa = MODELS.build(dict(type='CAM', with_bias=True, relu=True))
    raw = cam(model, None, feats, None, targets)
    assert torch.equal(raw[0, 0], torch.tensor([[1.0, 0.0], [3.0, 6.0]]))
    assert torch.equal(
        MODELS.build(dict(type='CAM', with_bias=True))(
            model, None, feats, None, targets
        )[0, 0],
        torch.tensor([[-2.0, -3.0], [0.0, 3.0]]),
    )
    assert torch.equal(
        spa(model, None, feats, None, targets)[0, 0],
        torch.tensor([[0.0, 0.0], [0.0, 3.0]]),
    )
    # CCAM with one class weighted 1 (TopBottom(1, 0)) is the same map
    ccam = MODELS.build(
        dict(
            type='CCAM',
            combination=dict(type='TopBottom', top=1),
            with_bias=True,
            relu=True,
        )
    )
    logits = torch.tensor([[0.0, 1.0]])
    assert torch.equal(
        ccam(model, None, feats, logits, targets),
        spa(model, None, feats, None, targets),
    )
    # top-1 & bottom-1 for class 1 (class 0 last): the map minus class 0's
    # map 0.5 F0 + 0.5 F1 + 0.25 = [[0.75, 1.75], [1.75, 1.75]]
    ccam.combination = MODELS.build(
        dict(type='CCAM', combination=dict(type='TopBottom', top=1, bottom=1))
    ).combination
    ccam.relu = False
    assert torch.allclose(
        ccam(model, None, feats, logits, targets)[0, 0],
        torch.tensor([[-2.75, -4.75], [-1.75, 1.25]]),
    )
    # the seeds (obj_th 0.1, bg_th 0.05) of the two coarse maps differ
    hsc = torch.eye(4, dtype=torch.float64)[None] + 0.1
    for coarse, expected in [
        (torch.tensor([[0.0, 0.0], [0.0, 1.0]]), [0.0, 0.0, 0.0, 1.0]),
        (torch.tensor([[1 / 6, 0.0], [0.5, 1.0]]), [1.0, 0.0, 1.0, 1.0]),
    ]:
        maps = seed_correlation_maps(
            hsc.clone(), coarse.double().view(1, 1, 4)
        )
        # identity-like HSC: the map is the object seeds minus nothing
        # (the background seeds' columns only cover themselves)
        assert maps.flatten().tolist() == expected
    with pytest.raises(TypeError, match='class_bias'):
        spa(_stub_no_bias(), None, feats, None, targets)


def _stub_no_bias():
    model = torch.nn.Module()
    model.head = torch.nn.Module()
    model.head.cam_features = lambda feats: feats[-1]
    model.head.class_weights = lambda: torch.ones(2, 2)
    return model


def test_coarse_round_trip_through_the_image_size_by_hand():
    """[[0, 0], [0, 1]] up to 4x4 and back (bilinear, half-pixel): along
    each axis [v0, v1] -> [v0, .75 v0 + .25 v1, .25 v0 + .75 v1, v1] ->
    [.875 v0 + .125 v1, .125 v0 + .875 v1]."""
    m = np.array([[0.0, 0.0], [0.0, 1.0]])
    expected = np.array([[0.015625, 0.109375], [0.109375, 0.765625]])
    np.testing.assert_allclose(
        np_resize(np_resize(m, (4, 4)), (2, 2)), expected, atol=1e-15
    )
    feats = _feats(n=1, sizes=((2, 2),), channels=(3,))
    coarse = torch.tensor(m)[None, None] * 5 - 1  # normalised inside
    direct = spa_self_correlation_maps(feats, coarse)
    via = spa_self_correlation_maps(feats, coarse, coarse_via=(4, 4))
    np.testing.assert_allclose(
        direct[0, 0].numpy(), np_scg([feats[0][0].numpy()], m), atol=1e-7
    )
    np.testing.assert_allclose(
        via[0, 0].numpy(),
        np_scg([feats[0][0].numpy()], expected, normalized=True),
        atol=1e-7,
    )


@pytest.mark.parametrize('via_input', [False, True])
def test_spa_coarse_map_matches_the_authors_pipeline(via_input):
    """SCG(coarse=CAM(with_bias, relu)) on SPA's head: ReLU of the class
    channel (bias included), min-max normalised, (resized to the image size
    and back), seeds, as the authors' evaluation does."""
    torch.manual_seed(0)
    model = _model(
        HEADS[1],
        dict(type='CAM', with_bias=True, relu=True),
        feat_indices=(1, 2),
        coarse_via_input=via_input,
    )
    with torch.no_grad():  # a bias that matters: half the map below 0
        model.head.classifier.bias.fill_(0.0)
        x = torch.randn(2, 3, 32, 28)
        feats = model.extract_feat(x)
        class_maps = model.head.class_maps(feats)  # the authors' `logits`
        model.head.classifier.bias.copy_(
            -class_maps.flatten(2).median(dim=2).values.mean(0)
        )
        class_maps = model.head.class_maps(feats).double().numpy()
        logits = model.head(feats)
        targets = torch.tensor([[1, 3], [4, 0]])
        raw = model.localizer(model, x, feats, logits, targets)
        plain = SCG(coarse=dict(type='CAM'), feat_indices=(1, 2))(
            model, x, feats, logits, targets
        )
    for i in range(2):
        for t in range(2):
            cam = np_norm(np.maximum(class_maps[i, int(targets[i, t])], 0))
            if via_input:
                cam = np_resize(np_resize(cam, (32, 28)), cam.shape)
            ref = np_scg(
                [feats[1][i].double().numpy(), feats[2][i].double().numpy()],
                cam,
                normalized=True,
            )
            np.testing.assert_allclose(raw[i, t].numpy(), ref, atol=1e-4)
    assert (raw - plain).abs().max() > 0.1  # the bias-free map differs


def test_scg_flags_nan_coarse_maps_and_features():
    torch.manual_seed(0)
    model = _model(HEADS[0], dict(type='CAM'), feat_indices=(1, 2))
    x = torch.randn(3, 3, 32, 32)
    targets = torch.tensor([[0, 1], [2, 3], [4, 0]])
    with torch.no_grad():
        feats = list(model.extract_feat(x))
        logits = model.head(feats)
        feats[1] = feats[1].clone()
        feats[1][2, 0, 0, 0] = float('inf')  # an SCG layer of image 2
        feats[2] = feats[2].clone()
        feats[2][0, :, 1, 1] = float('nan')  # the CAM features of image 0
        maps, valid = model.localizer.localize_with_validity(
            model, x, tuple(feats), logits, targets
        )
    assert valid.tolist() == [[False, False], [True, True], [False, False]]
    assert maps[valid].amax(dim=(1, 2)).eq(1).all()
    assert maps[~valid].eq(0).all()


def test_spa_configs_use_the_authors_coarse_map():
    """Every SPA config that runs SCG seeds it with the authors' coarse map
    (the ablations included); the CAM ablations keep plain CAM."""
    import glob
    import os.path as osp

    from mmengine import Config

    root = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'spa')
    paths = sorted(
        glob.glob(osp.join(root, '*.py'))
        + glob.glob(osp.join(root, 'ablations', '*.py'))
    )
    scg = [
        p for p in paths if Config.fromfile(p).model.localizer.type == 'SCG'
    ]
    assert len(scg) == 10  # 5 SPA + 5 baseline + SCG
    for path in scg:
        loc = Config.fromfile(path).model.localizer
        assert loc.coarse == dict(type='CAM', with_bias=True, relu=True), path
        assert loc.coarse_via_input is True, path
