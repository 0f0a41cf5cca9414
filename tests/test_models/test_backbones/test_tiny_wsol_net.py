import pytest
import torch
import torch.nn as nn

from mmwsol.models.backbones import TinyWSOLNet
from mmwsol.registry import MODELS


@pytest.mark.parametrize('input_size, size', [(128, 16), (112, 14)])
def test_output_sizes(input_size, size):
    model = MODELS.build(dict(type='TinyWSOLNet', out_indices=(0, 1, 2, 3)))
    assert isinstance(model, TinyWSOLNet)
    with torch.no_grad():
        outs = model.eval()(torch.rand(2, 3, input_size, input_size))
    assert [tuple(o.shape) for o in outs] == [
        (2, 32, input_size // 2, input_size // 2),
        (2, 64, input_size // 4, input_size // 4),
        (2, 128, size, size),
        (2, 256, size, size),
    ]


def test_default_is_small_and_last_map_non_negative():
    model = TinyWSOLNet()
    assert sum(p.numel() for p in model.parameters()) < 1_200_000
    model.init_weights()
    with torch.no_grad():
        outs = model.eval()(torch.randn(1, 3, 64, 64))
    assert len(outs) == 1 and outs[0].shape == (1, 256, 8, 8)
    assert (outs[0] >= 0).all() and (outs[0] > 0).any()


def test_config_options():
    model = TinyWSOLNet(
        stage_channels=(8, 16, 24),
        stage_blocks=(1, 2, 1),
        pool_strides=(2, 1, 1),
        out_indices=(-1,),
    )
    assert model.out_indices == (2,)
    assert len(model.stages[1]) == 2  # two convs, no pooling
    out = model(torch.rand(1, 3, 32, 32))[-1]
    assert out.shape == (1, 24, 16, 16)
    with pytest.raises(AssertionError):
        TinyWSOLNet(out_indices=(4,))
    with pytest.raises(AssertionError):
        TinyWSOLNet(stage_blocks=(1, 1, 1))


def test_backward_frozen_stages_and_norm_eval():
    model = TinyWSOLNet(frozen_stages=1, norm_eval=True)
    assert model.train() is model
    out = model(torch.rand(2, 3, 32, 32))[-1]
    out.mean().backward()
    for i, stage in enumerate(model.stages):
        for param in stage.parameters():
            assert param.requires_grad == (i >= 1)
            assert (param.grad is not None) == (i >= 1)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
