"""CCAM: combination functions (paper eqs. 5, 6) and the CCAM localizer."""

import numpy as np
import pytest
import torch
from cam_stub_model import StubModel
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import (
    CAM,
    CCAM,
    ExplicitWeights,
    Polynomial,
    TopBottom,
    combinational_class_activation_maps,
    normalize_maps,
    polynomial_weights,
    resize_maps,
    target_first_ranks,
    top_bottom_weights,
)
from mmwsol.registry import MODELS, TASK_UTILS


# ----------------------------------------------------------------------------
# combination functions
# ----------------------------------------------------------------------------
def _eq6(K, i, j):
    """Paper eq. 6 read as 'the first i ranks and the last j ranks'."""
    return [
        1.0 if k <= i else (-1.0 if k > K - j else 0.0)
        for k in range(1, K + 1)
    ]


def _eq5(K, eta, p):
    """Paper eq. 5 term by term (python floats)."""
    out = []
    for k in range(1, K + 1):
        if k <= p:
            out.append(((k - p) / (1 - p)) ** eta)
        else:
            out.append((-1) ** (eta + 1) * ((k - p) / (p - K)) ** eta)
    return out


@pytest.mark.parametrize('K', [2, 3, 6, 7, 20, 200, 1000])
def test_top_bottom_weights_equal_eq6(K):
    for i, j in [
        (1, 0),
        (0, 1),
        (1, 1),
        (1, 10),
        (1, 20),
        (3, 2),
        (K, 0),
        (0, K),
    ]:
        if i + j > K:
            with pytest.raises(ValueError, match='overlap'):
                top_bottom_weights(K, i, j)
            continue
        g = top_bottom_weights(K, i, j)
        assert g.dtype == torch.float32 and g.shape == (K,)
        assert g.tolist() == _eq6(K, i, j)
        assert torch.equal(TopBottom(top=i, bottom=j)(K), g)


@pytest.mark.parametrize('K', [2, 3, 6, 7, 200])
@pytest.mark.parametrize('eta', [0, 1, 2, 3])
def test_polynomial_weights_equal_eq5(K, eta):
    for p in [(K + 1) / 2, 1.5, K - 0.5, max(K // 3, 2) + 0.25]:
        if not 1 < p < K:
            continue
        expected = torch.tensor(_eq5(K, eta, p), dtype=torch.float32)
        g = polynomial_weights(K, eta, p)
        assert torch.allclose(g, expected, atol=1e-6), (K, eta, p)
        assert g[0] == 1 and g[-1] == -1  # largest |g| at ranks 1 and K
    # default p = (K + 1) / 2
    assert torch.allclose(
        Polynomial(degree=eta)(K),
        torch.tensor(_eq5(K, eta, (K + 1) / 2), dtype=torch.float32),
        atol=1e-6,
    )


@pytest.mark.parametrize('K', [2, 5, 6, 200])
def test_polynomial_default_is_odd_power_of_linspace(K):
    x = np.linspace(1, -1, K)
    for eta in (1, 2, 3):
        expected = np.sign(x) * np.abs(x) ** eta
        assert np.allclose(
            polynomial_weights(K, eta).numpy(), expected, atol=1e-6
        )
    # linear = the authors' np.linspace(1, -1, K)
    assert np.allclose(polynomial_weights(K, 1).numpy(), x, atol=1e-6)
    # constant: +1 for the top half, -1 for the bottom half
    g0 = polynomial_weights(K, 0)
    assert g0.tolist() == [1.0] * ((K + 1) // 2) + [-1.0] * (K // 2)


@pytest.mark.parametrize('K,n', [(200, 100), (7, 3), (6, 3), (10, 4)])
def test_polynomial_reference_variant_is_the_authors_quadratic(K, n):
    h_top = np.linspace(1, 0, n) ** 2
    h_bottom = -(np.linspace(0, -1, K - n) ** 2)
    expected = np.concatenate([h_top, h_bottom])
    g = polynomial_weights(K, 2, n, variant='reference')
    assert np.allclose(g.numpy(), expected, atol=1e-7)
    if K % 2 == 0 and n == K // 2:  # the default split
        assert torch.equal(Polynomial(variant='reference')(K), g)


def test_reference_and_paper_quadratic_are_close_for_cub():
    paper = polynomial_weights(200, 2)
    ref = polynomial_weights(200, 2, variant='reference')
    assert (paper - ref).abs().max() < 1 / 99


def test_combination_registry_and_errors():
    comb = TASK_UTILS.build(dict(type='TopBottom', top=1, bottom=10))
    assert isinstance(comb, TopBottom) and comb(12).tolist() == _eq6(12, 1, 10)
    poly = TASK_UTILS.build(dict(type='Polynomial', degree=3))
    assert torch.equal(poly(9), polynomial_weights(9, 3))
    exp = TASK_UTILS.build(dict(type='ExplicitWeights', weights=[2, 0, -1]))
    assert exp(3).tolist() == [2.0, 0.0, -1.0]
    with pytest.raises(ValueError, match='3 weights but there are 4'):
        exp(4)
    with pytest.raises(ValueError, match='overlap'):
        TopBottom(1, 10)(6)  # bottom-10 needs K >= 11
    with pytest.raises(ValueError):
        Polynomial(degree=-1)
    with pytest.raises(ValueError):
        polynomial_weights(5, 2, num_foreground=6)
    with pytest.raises(ValueError, match='integer'):
        polynomial_weights(5, 2, num_foreground=2.5, variant='reference')
    assert 'top=1' in repr(comb)


# ----------------------------------------------------------------------------
# ranking and maps
# ----------------------------------------------------------------------------
def test_target_first_ranks_hand_example():
    logits = torch.tensor([[0.1, 3.0, 2.0, -1.0]])  # order: 1, 2, 0, 3
    assert target_first_ranks(logits).tolist() == [[[2, 0, 1, 3]]]
    ranks = target_first_ranks(logits, torch.tensor([[1, 0, 3]]))
    assert ranks.tolist() == [[[2, 0, 1, 3], [0, 1, 2, 3], [3, 1, 2, 0]]]
    # ties are broken by class index
    tied = torch.tensor([[1.0, 1.0, 0.0, 1.0]])
    assert target_first_ranks(tied).tolist() == [[[0, 1, 3, 2]]]


def _slow_ccam(features, weights, logits, target, g, clamp, target_first):
    """Sum the K individual maps in rank order (one sample, one target)."""
    K = weights.shape[0]
    order = sorted(range(K), key=lambda c: (-float(logits[c]), c))
    if target_first:
        order = [target] + [c for c in order if c != target]
    total = torch.zeros(features.shape[1:], dtype=torch.float64)
    for k, c in enumerate(order):
        w = weights[c].double()
        if clamp:
            w = w.clamp(min=0)
        cam = sum(
            w[ch] * features[ch].double() for ch in range(features.shape[0])
        )
        total += float(g[k]) * cam
    return total


@pytest.mark.parametrize('clamp', [False, True])
@pytest.mark.parametrize('target_first', [True, False])
def test_one_sum_equals_sum_of_k_maps(clamp, target_first):
    torch.manual_seed(0)
    N, C, K, h, w = 3, 5, 7, 4, 6
    feats = torch.randn(N, C, h, w)
    weights = torch.randn(K, C)
    logits = torch.randn(N, K)
    targets = torch.tensor([[0, 6, 3], [2, 2, 5], [1, 4, 0]])
    for g in [
        polynomial_weights(K, 2),
        top_bottom_weights(K, 1, 3),
        torch.randn(K),
    ]:
        maps = combinational_class_activation_maps(
            feats, weights, logits, targets, g, clamp, target_first
        )
        assert maps.shape == (N, 3, h, w)
        for n in range(N):
            for t in range(3):
                ref = _slow_ccam(
                    feats[n],
                    weights,
                    logits[n],
                    int(targets[n, t]),
                    g,
                    clamp,
                    target_first,
                )
                assert torch.allclose(maps[n, t].double(), ref, atol=1e-4)


def test_top1_bottom0_equals_cam_exactly():
    torch.manual_seed(1)
    feats = torch.randn(4, 8, 5, 5)
    weights = torch.randn(10, 8)
    logits = torch.randn(4, 10)
    targets = torch.randint(0, 10, (4, 6))
    model = StubModel(weights)
    inputs = torch.zeros(4, 3, 20, 20)
    for clamp in (False, True):
        cam = CAM(clamp_negative_weights=clamp)
        ccam = CCAM(
            combination=dict(type='TopBottom', top=1, bottom=0),
            clamp_negative_weights=clamp,
        )
        raw_cam = cam(model, inputs, (feats,), logits, targets)
        raw_ccam = ccam(model, inputs, (feats,), logits, targets)
        assert torch.equal(raw_ccam, raw_cam)
        assert torch.equal(
            ccam.localize(model, inputs, (feats,), logits, targets),
            cam.localize(model, inputs, (feats,), logits, targets),
        )


def test_class_agnostic_map_is_the_same_for_every_target():
    torch.manual_seed(2)
    feats = torch.randn(2, 4, 3, 3)
    weights = torch.randn(6, 4)
    logits = torch.randn(2, 6)
    targets = torch.tensor([[0, 1, 5], [3, 3, 2]])
    g = polynomial_weights(6, 2)
    agnostic = combinational_class_activation_maps(
        feats, weights, logits, targets, g, target_first=False
    )
    assert torch.equal(agnostic[:, 0], agnostic[:, 1])
    assert torch.equal(agnostic[:, 0], agnostic[:, 2])
    # with target_first, the predicted top-1 class gets the agnostic map
    top1 = logits.argmax(1, keepdim=True)
    first = combinational_class_activation_maps(
        feats, weights, logits, top1, g
    )
    assert torch.allclose(first[:, 0], agnostic[:, 0], atol=1e-6)


def test_hand_computed_ccam():
    # 1 channel so that each class map is w_c * F; K = 3
    feats = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    weights = torch.tensor([[1.0], [-2.0], [0.5]])
    logits = torch.tensor([[0.0, 5.0, 1.0]])  # order: 1, 2, 0
    g = torch.tensor([1.0, 0.25, -1.0])
    # target 1 (top-1): 1 * (-2F) + 0.25 * (0.5F) - 1 * (1F) = -2.875 F
    # target 0: order 0, 1, 2: 1F + 0.25(-2F) - 0.5F = 0
    # target 2: order 2, 1, 0: 0.5F - 0.5F - 1F = -F
    maps = combinational_class_activation_maps(
        feats, weights, logits, torch.tensor([[1, 0, 2]]), g
    )
    F = feats[0, 0]
    assert torch.allclose(maps[0, 0], -2.875 * F)
    assert torch.allclose(maps[0, 1], 0 * F)
    assert torch.allclose(maps[0, 2], -1 * F)
    # clamping: weights become 1, 0, 0.5
    maps = combinational_class_activation_maps(
        feats, weights, logits, torch.tensor([[1]]), g, clamp_negative=True
    )
    assert torch.allclose(maps[0, 0], (0 + 0.125 - 1) * F)


def test_shape_errors():
    with pytest.raises(ValueError, match='channels'):
        combinational_class_activation_maps(
            torch.zeros(1, 3, 2, 2),
            torch.zeros(4, 2),
            torch.zeros(1, 4),
            torch.zeros(1, 1, dtype=torch.long),
            torch.zeros(4),
        )
    with pytest.raises(ValueError, match='rank_weights'):
        combinational_class_activation_maps(
            torch.zeros(1, 2, 2, 2),
            torch.zeros(4, 2),
            torch.zeros(1, 4),
            torch.zeros(1, 1, dtype=torch.long),
            torch.zeros(3),
        )


# ----------------------------------------------------------------------------
# the localizer
# ----------------------------------------------------------------------------
def test_localize_normalises_once_after_combining():
    torch.manual_seed(3)
    feats = (torch.randn(2, 4, 3, 3),)
    weights = torch.randn(6, 4)
    logits = torch.randn(2, 6)
    targets = torch.tensor([[1], [4]])
    ccam = MODELS.build(
        dict(type='CCAM', combination=dict(type='Polynomial', degree=2))
    )
    assert isinstance(ccam, CCAM)
    maps = ccam.localize(
        StubModel(weights), torch.zeros(2, 3, 12, 12), feats, logits, targets
    )
    g = polynomial_weights(6, 2)
    for n in range(2):
        raw = _slow_ccam(
            feats[0][n], weights, logits[n], int(targets[n, 0]), g, False, True
        ).float()
        expected = normalize_maps(resize_maps(raw[None, None], (12, 12)))
        assert torch.allclose(maps[n, 0], expected[0, 0], atol=1e-5)
        # ... which is not the sum of separately normalised maps
        assert maps[n, 0].min() == 0 and maps[n, 0].max() == 1


def test_ccam_rejects_head_without_weights_and_bad_combination():
    model = torch.nn.Module()
    model.head = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='CAM-style head'):
        CCAM()(
            model,
            None,
            (torch.zeros(1, 2, 2, 2),),
            torch.zeros(1, 2),
            torch.zeros(1, 1, dtype=torch.long),
        )
    assert isinstance(
        CCAM(combination=ExplicitWeights([1, -1])).combination, ExplicitWeights
    )


def test_ccam_in_wsol_classifier():
    torch.manual_seed(0)
    cfg = dict(
        type='WSOLClassifier',
        backbone=dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 16)),
        head=dict(type='CAMHead', num_classes=5, in_channels=16),
        localizer=dict(
            type='CCAM', combination=dict(type='TopBottom', top=1, bottom=2)
        ),
        topk_maps=2,
    )
    model = MODELS.build(cfg)
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model.predict(x, [DataSample().set_gt_label(i) for i in (0, 4)])
        feats = model.extract_feat(x)
        logits = model.head(feats)
    g = top_bottom_weights(5, 1, 2)
    for n, s in enumerate(out):
        assert s.gt_cam.shape == (32, 32) and s.pred_cams.shape == (2, 32, 32)
        top1 = int(logits[n].argmax())
        raw = _slow_ccam(
            feats[-1][n],
            model.head.fc.weight.detach(),
            logits[n],
            top1,
            g,
            False,
            True,
        ).float()
        expected = normalize_maps(resize_maps(raw[None, None], (32, 32)))
        assert torch.allclose(s.pred_cams[0], expected[0, 0], atol=1e-4)
