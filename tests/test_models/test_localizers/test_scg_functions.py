"""SPA's SCG pure functions (self-correlation, seeds, layers of
different size) against a per-image numpy version of the paper /
authors' description."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scg_utils import (
    np_hsc,
    np_scg,
    random_feats,
)

from mmwsol.models.localizers import (
    combine_self_correlation,
    seed_correlation_maps,
    self_correlation,
    spa_self_correlation_maps,
)


@pytest.mark.parametrize('order', [1, 2, 3])
def test_self_correlation_matches_numpy(order):
    (feat,) = random_feats(n=2, sizes=((5, 6),), channels=(7,))
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
    feats = random_feats()
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
    feats = [f.float() for f in random_feats(seed=3)]
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
    feats = random_feats(sizes=((8, 8), (4, 4)), channels=(4, 6))
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
    feats = random_feats(n=2)
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
