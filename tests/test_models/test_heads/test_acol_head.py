"""ACoL: erasing, the two-branch loss, the fused test map, composition."""

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.models.heads.acol_head import (
    ACoLHead,
    acol_erase,
    label_attention,
)
from mmwsol.models.localizers.acol_cam import ACoLCAM  # noqa: F401
from mmwsol.registry import MODELS


def _samples(labels):
    return [DataSample().set_gt_label(int(k)) for k in labels]


def _head(**kwargs):
    torch.manual_seed(0)
    head = ACoLHead(num_classes=5, in_channels=6, mid_channels=8, **kwargs)
    head.init_weights()
    return head


def _minmax(m):
    """Slow reference of the per-map min-max normalisation."""
    lo, hi = m.min(), m.max()
    return (m - lo) / (hi - lo)


def test_erase_by_hand():
    feats = torch.arange(8.0).view(1, 2, 2, 2) + 1
    attention = torch.tensor([[[[0.0, 0.7], [0.69, 1.0]]]])
    out = acol_erase(feats, attention, 0.7)
    # >= 0.7 erased: positions (0, 1) and (1, 1)
    expect = feats * torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert torch.equal(out, expect)


def test_label_attention_is_the_normalised_detached_label_map():
    maps = torch.randn(3, 5, 4, 4, requires_grad=True)
    labels = torch.tensor([4, 0, 2])
    att = label_attention(maps, labels)
    assert att.shape == (3, 1, 4, 4) and not att.requires_grad
    for i, k in enumerate(labels):
        assert torch.allclose(att[i, 0], _minmax(maps[i, k].detach()))
    const = label_attention(torch.ones(1, 2, 3, 3), torch.tensor([1]))
    assert torch.equal(const, torch.zeros(1, 1, 3, 3))  # nothing erased


def test_loss_is_ce_a_plus_ce_b_on_the_erased_features():
    head = _head()
    x = torch.randn(3, 6, 5, 5)
    labels = torch.tensor([0, 3, 4])
    losses = head.loss((x,), _samples(labels))
    # slow reference, image by image
    ce_a, ce_b = [], []
    for i, y in enumerate(labels):
        maps_a = head.branch_a(x[i : i + 1])
        keep = (_minmax(maps_a[0, y].detach()) < 0.7).float()
        maps_b = head.branch_b(x[i : i + 1] * keep)
        target = y.view(1)
        ce_a.append(F.cross_entropy(maps_a.mean((2, 3)), target))
        ce_b.append(F.cross_entropy(maps_b.mean((2, 3)), target))
    assert set(losses) == {'loss_a', 'loss_b'}
    assert torch.allclose(losses['loss_a'], torch.stack(ce_a).mean())
    assert torch.allclose(losses['loss_b'], torch.stack(ce_b).mean())
    # something was erased and it changed branch B
    assert not torch.allclose(losses['loss_b'], losses['loss_a'])


def test_fused_map_is_the_max_of_both_normalised_maps():
    head = _head().eval()
    x = torch.randn(2, 6, 5, 5)
    targets = torch.tensor([[1, 2], [4, 0]])
    with torch.no_grad():
        fused = head.fused_maps((x,), targets)
        for i in range(2):
            for t in range(2):
                k = targets[i, t]
                a = head.branch_a(x[i : i + 1])[0, k]
                keep = (_minmax(a) < 0.7).float()
                b = head.branch_b(x[i : i + 1] * keep)[0, k]
                expect = torch.maximum(_minmax(a), _minmax(b))
                assert torch.allclose(fused[i, t], expect, atol=1e-6)


def test_smooth_features_is_a_3x3_average():
    head = _head(smooth_features=True)
    x = torch.randn(1, 6, 5, 5)
    padded = F.pad(x, (1, 1, 1, 1))
    expect = sum(
        padded[..., i : i + 5, j : j + 5] for i in range(3) for j in range(3)
    )
    # count_include_pad: the border averages include the zero padding
    assert torch.allclose(head.features((x,)), expect / 9, atol=1e-6)


def test_defaults_and_errors():
    head = ACoLHead(num_classes=3, in_channels=4)
    assert head.erase_threshold == 0.7 and head.mid_channels == 1024
    with pytest.raises(ValueError, match='erase_threshold'):
        ACoLHead(num_classes=3, in_channels=4, erase_threshold=1.5)
    with pytest.raises(ValueError, match='ACoLHead needs'):
        head.features((torch.randn(2, 4),))


@pytest.mark.parametrize('localizer', ['ACoLCAM', 'CAM'])
def test_in_a_classifier_train_and_localize(localizer):
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(type='TinyWSOLNet', stage_channels=(4, 8, 8, 6)),
            head=dict(
                type='ACoLHead', num_classes=5, in_channels=6, mid_channels=8
            ),
            localizer=dict(type=localizer),
        )
    )
    x = torch.randn(2, 3, 32, 32)
    losses = model.loss(x, _samples([1, 3]))
    total = losses['loss_a'] + losses['loss_b']
    total.backward()
    grads = [p.grad for p in model.backbone.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads[:1])
    model.eval()
    with torch.no_grad():
        out = model.predict(x, _samples([1, 3]))
        feats = model.extract_feat(x)
    assert out[0].gt_cam.shape == (32, 32)
    assert 0 <= out[0].gt_cam.min() and out[0].gt_cam.max() <= 1
    if localizer == 'CAM':
        # CAM on the ACoL head is branch A's (normalised) class channel
        from mmwsol.models.localizers import normalize_maps, resize_maps

        with torch.no_grad():
            a = model.head.branch_a(model.head.features(feats))
        ref = normalize_maps(resize_maps(a[[0, 1], [1, 3]][:, None], (32, 32)))
        assert torch.allclose(out[1].gt_cam, ref[1, 0], atol=1e-4)
