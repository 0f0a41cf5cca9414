"""ADL: the mask for a known input, the per-batch draw, evaluation."""

import pytest
import torch

from mmwsol.models.layers import ADL, adl, adl_maps
from mmwsol.registry import MODELS


def _known_feats():
    # two channels whose mean is [[0, 1], [2, 4]] for image 0 and
    # [[-1, -1], [3, 1]] for image 1
    mean0 = torch.tensor([[0.0, 1.0], [2.0, 4.0]])
    mean1 = torch.tensor([[-1.0, -1.0], [3.0, 1.0]])
    a = torch.stack([mean0 + 1, mean1 - 2])  # channel 0
    b = torch.stack([mean0 - 1, mean1 + 2])  # channel 1
    return torch.stack([a, b], dim=1), torch.stack([mean0, mean1])


def test_drop_mask_and_importance_by_hand():
    feats, mean = _known_feats()
    importance, drop = adl_maps(feats, drop_threshold=0.5)
    # image 0: max 4, threshold 2 -> keep 0, 1 (below); drop 2, 4
    # image 1: max 3, threshold 1.5 -> drop only the 3
    assert torch.equal(drop[0, 0], torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
    assert torch.equal(drop[1, 0], torch.tensor([[1.0, 1.0], [0.0, 1.0]]))
    assert torch.allclose(importance[:, 0], torch.sigmoid(mean))
    out = adl(feats, True, 0.5)
    assert torch.equal(out, feats * drop)
    out = adl(feats, False, 0.5)
    assert torch.allclose(out, feats * torch.sigmoid(mean)[:, None])


def test_defaults_are_wsolevaluations():
    layer = ADL()
    assert (layer.drop_rate, layer.drop_threshold) == (0.75, 0.9)


def test_one_reference_draw_per_batch():
    feats, _ = _known_feats()
    layer = ADL(drop_rate=0.75, drop_threshold=0.5).train()
    _, drop = adl_maps(feats, 0.5)
    seen = set()
    for seed in range(40):
        torch.manual_seed(seed)
        u = torch.rand(())
        # the reference: floor(u + drop_rate) == 1 -> drop mask
        expect_drop = bool((u + 0.75).floor() == 1)
        torch.manual_seed(seed)
        out = layer(feats)
        expected = adl(feats, expect_drop, 0.5)
        assert torch.equal(out, expected)
        seen.add(expect_drop)
    assert seen == {True, False}


def test_identity_in_evaluation_and_in_a_backbone():
    layer = ADL().eval()
    x = torch.randn(2, 4, 3, 3)
    assert layer(x) is x
    wrapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(type='TinyWSOLNet'),
            insert=[dict(after='stages.1', module=dict(type='ADL'))],
        )
    )
    plain = MODELS.build(dict(type='TinyWSOLNet'))
    plain.load_state_dict(wrapped.backbone.state_dict())
    wrapped.eval(), plain.eval()
    img = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(wrapped(img)[-1], plain(img)[-1])
    wrapped.train(), plain.train()  # batch statistics in both
    torch.manual_seed(3)
    with torch.no_grad():
        trained = wrapped(img)[-1]
        reference = plain(img)[-1]
    assert trained.shape == reference.shape
    assert not torch.allclose(trained, reference)


def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match='drop_rate'):
        ADL(drop_rate=2)
    with pytest.raises(ValueError, match='drop_threshold'):
        ADL(drop_threshold=-0.1)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\)'):
        adl_maps(torch.rand(2, 3), 0.9)
