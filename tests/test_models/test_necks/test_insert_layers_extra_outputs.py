"""InsertLayers' extra_outputs: named submodules' outputs come first."""

import copy

import pytest
import torch

from mmwsol.registry import MODELS


def test_extra_outputs_come_first_and_see_insertions():
    cfg = dict(type='TinyWSOLNet', stage_channels=(8, 8, 16, 16))
    plain = MODELS.build(dict(cfg, out_indices=(1, 2, 3))).eval()
    tapped = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(cfg, out_indices=(3,)),
            extra_outputs=['stages.2', 'stages.1'],
        )
    ).eval()
    tapped.backbone.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        s1, s2, s3 = plain(x)
        out = tapped(x)
        again = copy.deepcopy(tapped)(x)
    assert len(out) == 3
    assert torch.equal(out[0], s2) and torch.equal(out[1], s1)
    assert torch.equal(out[2], s3)
    assert all(torch.equal(a, b) for a, b in zip(again, out))
    # an insertion at the same place: the tapped output is after it
    doubled = MODELS.build(
        dict(
            type='InsertLayers',
            backbone=dict(cfg, out_indices=(3,)),
            insert=[dict(after='stages.1', module=dict(type='ADL'))],
            extra_outputs=['stages.1'],
        )
    ).train()
    doubled.backbone.load_state_dict(plain.state_dict())
    torch.manual_seed(0)
    with torch.no_grad():
        first = doubled(x)[0]
    assert not torch.allclose(first, plain.train()(x)[0])


def test_extra_outputs_errors():
    with pytest.raises(KeyError, match="extra_outputs.*'stages.9'"):
        MODELS.build(
            dict(
                type='InsertLayers',
                backbone=dict(type='TinyWSOLNet'),
                extra_outputs=['stages.9'],
            )
        )
