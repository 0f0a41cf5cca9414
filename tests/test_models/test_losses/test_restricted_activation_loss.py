"""SPA's restricted activation loss: pseudo-masks and loss by hand."""

import math

import numpy as np
import pytest
import torch

from mmwsol.models.losses import (
    RestrictedActivationLoss,
    restricted_activation_loss,
    restricted_activation_masks,
)
from mmwsol.registry import MODELS


def _hand_case():
    """One image, K=2 classes, a 1x3 map.

    Logit differences d = F_0 - F_1 = 0, ln 3, 2 ln 3: softmax p_0 = 1/2,
    3/4, 9/10. With K=2 the population variance over classes is
    (p_0 - 1/2)^2: 0, 1/16, 4/25; min-max -> 0, (1/16)/(4/25) = 25/64, 1.
    """
    f1 = torch.tensor([0.0, 0.0, 0.0])
    f0 = torch.tensor([0.0, math.log(3.0), 2 * math.log(3.0)])
    return torch.stack([f0, f1]).view(1, 2, 1, 3)


def test_masks_by_hand():
    maps = _hand_case()
    v = [0.0, 25 / 64, 1.0]  # normalised variance
    for tau, sigma in [(0.1, 0.2), (0.4, 0.1), (0.3, 0.0), (0.5, 0.6)]:
        bg, obj = restricted_activation_masks(maps, tau, sigma)
        assert bg.shape == obj.shape == (1, 1, 3)
        assert bg.view(-1).tolist() == [float(x < tau) for x in v]
        assert obj.view(-1).tolist() == [float(x > tau + sigma) for x in v]


def test_loss_by_hand():
    maps = _hand_case()
    # tau 0.1, sigma 0.2: bg = [1, 0, 0], obj = [0, 1, 1] (25/64 > 0.3)
    s0 = 1 / (1 + np.exp(-np.array([0.0, math.log(3.0), 2 * math.log(3.0)])))
    s1 = np.full(3, 0.5)
    expect0 = (s0[0] * 1 + (1 - s0[1]) + (1 - s0[2])) / 3
    expect1 = (s1[0] * 1 + (1 - s1[1]) + (1 - s1[2])) / 3
    loss0 = restricted_activation_loss(maps, torch.tensor([0]), 0.1, 0.2)
    loss1 = restricted_activation_loss(maps, torch.tensor([1]), 0.1, 0.2)
    assert loss0.item() == pytest.approx(expect0, rel=1e-6)
    assert loss1.item() == pytest.approx(expect1, rel=1e-6)
    # weighted module, built from the registry
    module = MODELS.build(
        dict(
            type='RestrictedActivationLoss',
            tau=0.1,
            sigma=0.2,
            loss_weight=0.5,
        )
    )
    assert module(maps, torch.tensor([0])).item() == pytest.approx(
        0.5 * expect0, rel=1e-6
    )


def _numpy_loss(maps, labels, tau, sigma):
    """Straightforward numpy version (per image, as the paper reads)."""
    maps = maps.astype(np.float64)
    total = []
    for m, t in zip(maps, labels):
        e = np.exp(m - m.max(0, keepdims=True))
        p = e / e.sum(0, keepdims=True)
        var = p.var(0, ddof=1)  # torch.var, as in the authors' code
        v = (var - var.min()) / (var.max() - var.min() + 1e-15)
        bg, obj = v < tau, v > tau + sigma
        s = 1 / (1 + np.exp(-m[t]))
        total.append(s * bg + (1 - s) * obj)
    return np.mean(total)


def test_loss_matches_numpy_on_random_maps():
    g = torch.Generator().manual_seed(0)
    maps = torch.randn(3, 5, 4, 6, generator=g) * 3
    labels = torch.tensor([0, 4, 2])
    for tau, sigma in [(0.1, 0.2), (0.4, 0.1)]:
        ours = restricted_activation_loss(maps, labels, tau, sigma).item()
        ref = _numpy_loss(maps.numpy(), labels.numpy(), tau, sigma)
        assert ours == pytest.approx(ref, rel=1e-5)


def test_no_gradient_through_masks():
    maps = _hand_case().requires_grad_(True)
    loss = restricted_activation_loss(maps, torch.tensor([0]), 0.1, 0.2)
    loss.backward()
    grad = maps.grad.view(2, 3)
    # only the GT channel gets a gradient: ds/dF * (bg - obj) / (N H W)
    s = torch.sigmoid(maps.detach().view(2, 3)[0])
    expect = s * (1 - s) * torch.tensor([1.0, -1.0, -1.0]) / 3
    assert torch.allclose(grad[0], expect, atol=1e-7)
    assert torch.equal(grad[1], torch.zeros(3))


def test_constant_variance_is_all_background():
    maps = torch.zeros(2, 4, 3, 3)  # uniform softmax everywhere
    bg, obj = restricted_activation_masks(maps, 0.1, 0.2)
    assert bg.eq(1).all() and obj.eq(0).all()
    loss = restricted_activation_loss(maps, torch.tensor([0, 1]), 0.1, 0.2)
    assert loss.item() == pytest.approx(0.5)  # sigmoid(0) on the background


def test_bad_arguments():
    with pytest.raises(ValueError):
        RestrictedActivationLoss(tau=1.5)
    with pytest.raises(ValueError):
        restricted_activation_masks(torch.zeros(2, 3, 4), 0.1, 0.2)
    with pytest.raises(ValueError):
        restricted_activation_loss(
            torch.zeros(2, 3, 4, 4), torch.tensor([0]), 0.1, 0.2
        )
