"""SPG: the three masks with the 30-pixel fallback, the losses, the maps."""

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.models.heads.spg_head import (
    IGNORE,
    SPGHead,
    masked_bce,
    spg_mask,
)
from mmwsol.registry import MODELS


def _samples(labels):
    return [DataSample().set_gt_label(int(k)) for k in labels]


def _loop_mask(att, high, low):
    """wsolevaluation's get_mask written pixel by pixel."""
    n, h, w = att.shape
    mask = torch.full((n, h, w), 255.0)
    for i in range(n):
        pixels = [(y, x) for y in range(h) for x in range(w)]
        fg = [(y, x) for y, x in pixels if att[i, y, x] > high]
        if len(fg) < 30:
            thr = att[i].max() * 0.7
            fg = [(y, x) for y, x in pixels if att[i, y, x] > thr]
        for y, x in fg:
            mask[i, y, x] = 1.0
        for y in range(h):
            for x in range(w):
                if att[i, y, x] < low:
                    mask[i, y, x] = 0.0
    return mask


def test_mask_by_hand_with_the_fallback():
    att = torch.zeros(2, 8, 8)
    att[0, :6, :6] = 0.9  # 36 pixels > 0.7: no fallback
    att[0, 7, 7] = 0.3  # ignored (between low and high)
    att[1, :2, :2] = 0.5  # nothing > 0.7: fallback 0.7 * 0.5 = 0.35
    att[1, 2, 2] = 0.3  # < 0.35 and > low: ignored
    mask = spg_mask(att, 0.7, 0.01)
    assert mask[0, :6, :6].eq(1).all() and mask[0, 7, 7] == IGNORE
    assert mask[0, 6, :6].eq(0).all()
    assert mask[1, :2, :2].eq(1).all() and mask[1, 2, 2] == IGNORE
    assert mask[1, 5, 5] == 0
    assert torch.equal(mask, _loop_mask(att, 0.7, 0.01))


@pytest.mark.parametrize('high,low', [(0.7, 0.01), (0.5, 0.05), (0.7, 0.1)])
def test_mask_equals_the_loop_rule_on_random_maps(high, low):
    gen = torch.Generator().manual_seed(1)
    att = torch.rand(3, 9, 9, generator=gen) ** 3
    att[1] *= 0.5  # forces the fallback in image 1
    assert torch.equal(spg_mask(att, high, low), _loop_mask(att, high, low))
    flat = spg_mask(att, high, low)
    assert torch.equal(spg_mask(att[:, None], high, low), flat)


def test_masked_bce_averages_over_kept_pixels_of_the_batch():
    logits = torch.tensor([[[0.0, 2.0], [-1.0, 3.0]]])
    mask = torch.tensor([[[1.0, IGNORE], [0.0, 1.0]]])
    expect = (
        -torch.log(torch.sigmoid(torch.tensor(0.0)))
        - torch.log(1 - torch.sigmoid(torch.tensor(-1.0)))
        - torch.log(torch.sigmoid(torch.tensor(3.0)))
    ) / 3
    assert torch.allclose(masked_bce(logits, mask), expect)
    none = masked_bce(logits.requires_grad_(), torch.full_like(mask, IGNORE))
    assert none.item() == 0 and none.requires_grad


def _head(**kwargs):
    torch.manual_seed(0)
    head = SPGHead(
        num_classes=4,
        in_channels=(5, 6, 7),
        main_channels=(8,),
        branch_channels=6,
        c_channels=3,
        mask_size=(16, 16),
        **kwargs,
    )
    head.init_weights()
    return head


def _feats():
    g = torch.Generator().manual_seed(2)
    return (
        torch.randn(2, 5, 4, 4, generator=g),
        torch.randn(2, 6, 4, 4, generator=g),
        torch.randn(2, 7, 4, 4, generator=g),
    )


def test_losses_follow_the_reference_wiring():
    head = _head()
    feats = _feats()
    labels = torch.tensor([3, 1])
    losses = head.loss(feats, _samples(labels))
    assert set(losses) == {'loss_cls', 'loss_b2', 'loss_b1', 'loss_c'}
    # straightforward recomputation of the reference's forward + get_loss
    f1, f2, f3 = feats

    def up(t):
        return F.interpolate(t, (16, 16), mode='bilinear')

    x = head.main(f3)
    maps = head.classifier(x)
    logits_b1 = head.b_shared(head.b1(f1))
    logits_b2 = head.b_shared(head.b2(f2))
    logits_c = head.c(x)
    att = up(maps).detach()[[0, 1], labels]
    att = torch.stack([(a - a.min()) / (a.max() - a.min()) for a in att])
    fused = (up(logits_b1).sigmoid() + up(logits_b2).sigmoid()) / 2
    b2i = up(logits_b2).sigmoid()
    ce = F.cross_entropy(maps.mean((2, 3)), labels)

    def bce(logit, guide, high, low):
        mask = _loop_mask(guide.detach().reshape(2, 16, 16), high, low)
        keep = mask < 255
        return F.binary_cross_entropy_with_logits(
            up(logit)[:, 0][keep], mask[keep]
        )

    assert torch.allclose(losses['loss_cls'], ce, atol=1e-6)
    assert torch.allclose(
        losses['loss_b2'], bce(logits_b2, att, 0.7, 0.01), atol=1e-6
    )
    assert torch.allclose(
        losses['loss_b1'], bce(logits_b1, b2i, 0.5, 0.05), atol=1e-6
    )
    assert torch.allclose(
        losses['loss_c'], bce(logits_c, fused, 0.7, 0.1), atol=1e-6
    )
    # every branch gets a gradient
    sum(losses.values()).backward()
    for part in (head.b1, head.b2, head.b_shared, head.c, head.classifier):
        assert all(p.grad is not None for p in part.parameters())


def test_defaults_and_errors():
    head = SPGHead(num_classes=3, in_channels=(4, 4, 4))
    assert head.thresholds == ((0.7, 0.01), (0.5, 0.05), (0.7, 0.1))
    assert head.mask_size == (224, 224)
    with pytest.raises(ValueError, match='three'):
        SPGHead(num_classes=3, in_channels=(4, 4))
    with pytest.raises(ValueError, match='feat_indices'):
        head((torch.randn(1, 4, 2, 2),) * 2)


def test_in_a_classifier_with_extra_outputs_train_and_cam():
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='InsertLayers',
                backbone=dict(
                    type='TinyWSOLNet',
                    stage_channels=(4, 8, 8, 6),
                    out_indices=(2, 3),
                ),
                extra_outputs=['stages.1'],
            ),
            head=dict(
                type='SPGHead',
                num_classes=5,
                in_channels=(8, 8, 6),
                branch_channels=4,
                c_channels=4,
                mask_size=(32, 32),
            ),
            localizer=dict(type='CAM'),
        )
    )
    x = torch.randn(2, 3, 32, 32)
    losses = model.loss(x, _samples([1, 3]))
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        out = model.predict(x, _samples([1, 3]))
        feats = model.extract_feat(x)
        maps = model.head.classifier(model.head.cam_features(feats))
    from mmwsol.models.localizers import normalize_maps, resize_maps

    ref = normalize_maps(resize_maps(maps[[0, 1], [1, 3]][:, None], (32, 32)))
    assert torch.allclose(out[0].gt_cam, ref[0, 0], atol=1e-4)
