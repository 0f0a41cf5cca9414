"""ThresholdedAvgPool (TAP, Rethinking CAM eq. 4) against hand computations."""

import pytest
import torch

from mmwsol.models.heads import CAMHead
from mmwsol.models.poolings import (
    GAP,
    ThresholdedAvgPool,
    global_avg_pool,
    thresholded_avg_pool,
)
from mmwsol.registry import MODELS


def _map(*rows):
    return torch.tensor(rows, dtype=torch.float32)


def test_theta_zero_is_mean_of_positive_values():
    # positives 1, 2 (the 0 and the -3 are dropped): (1 + 2) / 2
    x = _map([0.0, 1.0], [2.0, -3.0])[None, None]
    assert thresholded_avg_pool(x, 0.0).item() == 1.5
    # GAP of the same map: (0 + 1 + 2 - 3) / 4 = 0
    assert global_avg_pool(x).item() == 0.0


def test_degenerate_channels_pool_to_zero():
    zeros = torch.zeros(2, 2)
    negative = _map([-1.0, -2.0], [-3.0, -4.0])  # max -1, tau = -0.1 > max
    x = torch.stack([zeros, negative])[None]
    for theta in (0.0, 0.1, 0.9):
        out = thresholded_avg_pool(x, theta)
        assert torch.equal(out, torch.zeros(1, 2))


def test_single_positive_value():
    # max 5, tau 0.5: only the 5 is kept, the mean over one position is 5
    x = _map([0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.3])[None, None]
    assert thresholded_avg_pool(x, 0.1).item() == 5.0
    # with theta 0 the 0.3 counts too: (5 + 0.3) / 2
    assert thresholded_avg_pool(x, 0.0).item() == pytest.approx(2.65)


def test_threshold_is_strict():
    # max 4, tau = 0.5 * 4 = 2 exactly; the 2 is not kept: (3 + 4) / 2
    x = _map([1.0, 2.0], [3.0, 4.0])[None, None]
    assert thresholded_avg_pool(x, 0.5).item() == 3.5
    # tau = 0.25 * 4 = 1: 2, 3, 4 kept
    assert thresholded_avg_pool(x, 0.25).item() == 3.0


def test_batch_where_channels_differ():
    x = torch.stack(
        [
            torch.stack(
                [
                    _map([1.0, 2.0], [3.0, 4.0]),  # tau 0.4: all -> 2.5
                    _map([0.0, 10.0], [0.5, 0.0]),
                ]
            ),  # tau 1: 10 -> 10
            torch.stack(
                [
                    _map([0.0, 0.0], [0.0, 0.0]),  # nothing -> 0
                    _map([2.0, 2.0], [0.1, 2.0]),
                ]
            ),  # tau 0.2: 2, 2, 2 -> 2
        ]
    )
    out = thresholded_avg_pool(x, 0.1)
    assert torch.equal(out, torch.tensor([[2.5, 10.0], [0.0, 2.0]]))
    # channels are independent: pooling each one alone gives the same
    for n in range(2):
        for c in range(2):
            alone = thresholded_avg_pool(x[n : n + 1, c : c + 1], 0.1)
            assert alone.item() == out[n, c].item()


def test_gradient_flows_to_kept_positions_only():
    x = torch.stack(
        [
            _map([1.0, 2.0], [3.0, 4.0]),
            _map([0.0, 0.0], [0.0, 0.0]),
            _map([6.0, 0.0], [-1.0, 3.0]),
        ]
    )[None].requires_grad_()
    upstream = torch.tensor([[1.0, 2.0, 3.0]])
    (thresholded_avg_pool(x, 0.5) * upstream).sum().backward()
    # channel 0: 3, 4 kept (count 2); channel 1: none; channel 2: 6 kept
    expected = torch.stack(
        [
            _map([0.0, 0.0], [0.5, 0.5]),
            torch.zeros(2, 2),
            _map([3.0, 0.0], [0.0, 0.0]),
        ]
    )[None]
    assert torch.equal(x.grad, expected)


def test_equals_gap_when_every_value_is_kept():
    # every value > theta * max  <=>  count = H * W  =>  TAP == GAP
    g = torch.Generator().manual_seed(0)
    positive = torch.rand(3, 4, 5, 6, generator=g) + 1e-3
    assert torch.allclose(
        thresholded_avg_pool(positive, 0.0), global_avg_pool(positive)
    )
    # values in [0.5, 1] and theta 0.4: min > 0.4 * max
    banded = 0.5 + 0.5 * torch.rand(3, 4, 5, 6, generator=g)
    assert torch.allclose(thresholded_avg_pool(banded, 0.4), GAP()(banded))
    # a constant positive channel pools to the constant for any theta
    const = torch.full((1, 1, 3, 3), 0.7)
    assert torch.allclose(thresholded_avg_pool(const, 0.9), const[0, 0, 0])


def test_relu_features_rescale_gap_by_the_active_area():
    # ReLU features, theta 0: TAP = GAP * H * W / #(F > 0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 7, 7, generator=g).relu()
    count = (x > 0).flatten(2).sum(2).float()
    expected = global_avg_pool(x) * 49 / count
    assert torch.allclose(thresholded_avg_pool(x, 0.0), expected)


def test_theta_near_one_is_max_pooling_for_a_unique_peak():
    x = _map([0.1, 0.5], [0.9, 0.2])[None, None]
    assert thresholded_avg_pool(x, 0.99).item() == pytest.approx(0.9)


def test_autocast_bf16():
    g = torch.Generator().manual_seed(2)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    head = CAMHead(
        num_classes=3,
        in_channels=4,
        pool=dict(type='ThresholdedAvgPool', threshold=0.1),
    )
    inputs = torch.randn(2, 3, 8, 8, generator=g)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = conv(inputs).relu()
        assert feats.dtype == torch.bfloat16
        pooled = head.pre_logits((feats,))
        logits = head((feats,))
    assert pooled.dtype == torch.bfloat16
    # the same selection rule applied in fp32 to the same bf16 values
    ref = thresholded_avg_pool(feats.float(), 0.1)
    assert torch.allclose(pooled.float(), ref, rtol=1e-2, atol=1e-3)
    logits.float().sum().backward()
    assert torch.isfinite(conv.weight.grad).all()
    assert conv.weight.grad.abs().sum() > 0


def test_half_input_outside_autocast():
    x = _map([0.0, 1.0], [2.0, -3.0])[None, None].half()
    out = thresholded_avg_pool(x, 0.0)
    assert out.dtype == torch.float16 and out.item() == 1.5


def test_module_builds_and_is_mode_independent():
    pool = MODELS.build(dict(type='ThresholdedAvgPool', threshold=0.1))
    assert isinstance(pool, ThresholdedAvgPool)
    assert 'threshold=0.1' in repr(pool)
    x = torch.randn(2, 3, 4, 4).relu()
    pool.train()
    train_out = pool(x)
    pool.eval()
    assert torch.equal(train_out, pool(x))
    assert torch.equal(train_out, thresholded_avg_pool(x, 0.1))


@pytest.mark.parametrize('theta', [-0.1, 1.0, 1.5])
def test_invalid_threshold(theta):
    with pytest.raises(ValueError, match='threshold'):
        ThresholdedAvgPool(theta)
    with pytest.raises(ValueError, match='threshold'):
        thresholded_avg_pool(torch.zeros(1, 1, 2, 2), theta)


def test_rejects_unpooled_shape():
    with pytest.raises(ValueError, match='spatial'):
        thresholded_avg_pool(torch.zeros(2, 3), 0.0)


def test_cam_head_with_tap_classifies_pooled_features():
    head = MODELS.build(
        dict(
            type='CAMHead',
            num_classes=2,
            in_channels=2,
            pool=dict(type='ThresholdedAvgPool', threshold=0.1),
        )
    )
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 0.5]]))
        head.fc.bias.copy_(torch.tensor([0.25, 0.0]))
    feats = torch.stack(
        [_map([1.0, 2.0], [3.0, 4.0]), _map([0.0, 8.0], [0.0, 0.0])]
    )[None]
    # TAP (theta 0.1): channel 0 -> 2.5 (all kept), channel 1 -> 8
    logits = head((feats,))
    expected = torch.tensor([[2.5 - 16.0 + 0.25, 1.25 + 4.0]])
    assert torch.allclose(logits, expected)
    # the CAM features are the unthresholded map
    assert torch.equal(head.cam_features((feats,)), feats)
