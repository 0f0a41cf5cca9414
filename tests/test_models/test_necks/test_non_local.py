"""The NL-CCAM non-local block and the non-local neck."""

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmwsol.models.necks import (
    NonLocalBlock2d,
    NonLocalNeck,
    non_local_attention,
)
from mmwsol.registry import MODELS


def _randomize(block: NonLocalBlock2d, seed: int = 0) -> None:
    """Random non-zero BN affine and running statistics."""
    g = torch.Generator().manual_seed(seed)
    bn = block.norm
    with torch.no_grad():
        bn.weight.copy_(torch.randn(bn.num_features, generator=g))
        bn.bias.copy_(torch.randn(bn.num_features, generator=g))
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=g))
        bn.running_var.copy_(torch.rand(bn.num_features, generator=g) + 0.5)


def _direct(
    block: NonLocalBlock2d, x: torch.Tensor, scale: float = 1.0
) -> torch.Tensor:
    """The block written out with einsum (eval-mode BN)."""

    def conv1x1(conv, t):
        return (
            torch.einsum('oc,nchw->nohw', conv.weight[:, :, 0, 0], t)
            + conv.bias[None, :, None, None]
        )

    theta, phi, g = (
        conv1x1(block.theta, x),
        conv1x1(block.phi, x),
        conv1x1(block.g, x),
    )
    energy = torch.einsum('nchw,ncuv->nhwuv', theta, phi) * scale
    n, _, h, w = x.shape
    alpha = energy.reshape(n, h, w, h * w).softmax(-1).reshape(n, h, w, h, w)
    y = torch.einsum('nhwuv,ncuv->nchw', alpha, g)
    z = conv1x1(block.conv_out, y)
    bn = block.norm
    z = (z - bn.running_mean[None, :, None, None]) / torch.sqrt(
        bn.running_var[None, :, None, None] + bn.eps
    )
    z = z * bn.weight[None, :, None, None] + bn.bias[None, :, None, None]
    return x + z


@pytest.mark.parametrize('shape', [(2, 16, 5, 7), (1, 64, 8, 8)])
def test_identity_at_init(shape):
    torch.manual_seed(0)
    block = MODELS.build(dict(type='NonLocalBlock2d', in_channels=shape[1]))
    block.init_weights()
    x = torch.randn(*shape)
    assert torch.equal(block.train()(x), x)
    assert torch.equal(block.eval()(x), x)
    assert block.theta.out_channels == shape[1] // 8
    assert block.g.out_channels == shape[1]
    assert block.norm.weight.abs().sum() == 0
    assert block.norm.bias.abs().sum() == 0


def test_identity_survives_an_enclosing_init():
    """A parent init_cfg setting norm weights to 1 must not break it."""

    class Parent(BaseModule):
        def __init__(self):
            super().__init__(
                init_cfg=[
                    dict(type='Constant', val=1.0, layer=['_BatchNorm']),
                    dict(type='Kaiming', layer=['Conv2d']),
                ]
            )
            self.block = NonLocalBlock2d(16)

    parent = Parent()
    parent.init_weights()
    x = torch.randn(2, 16, 4, 4)
    assert torch.equal(parent.block(x), x)


def test_without_norm_the_output_conv_is_zeroed():
    block = NonLocalBlock2d(8, norm_cfg=None)
    assert block.norm is None
    x = torch.randn(1, 8, 3, 3)
    assert torch.equal(block(x), x)
    assert block.conv_out.weight.abs().sum() == 0


@pytest.mark.parametrize('reduction,value_reduction', [(8, 1), (2, 2)])
@pytest.mark.parametrize('use_scale', [False, True])
def test_matches_einsum_formulation(reduction, value_reduction, use_scale):
    torch.manual_seed(1)
    block = NonLocalBlock2d(
        16,
        reduction=reduction,
        value_reduction=value_reduction,
        use_scale=use_scale,
    )
    assert block.g.out_channels == 16 // value_reduction
    _randomize(block)
    block.eval()
    x = torch.randn(2, 16, 5, 6)
    scale = (16 // reduction) ** -0.5 if use_scale else 1.0
    out = block(x)
    ref = _direct(block, x, scale)
    assert out.shape == x.shape
    assert not torch.allclose(out, x)
    assert torch.allclose(out, ref, atol=1e-5)


def test_attention_rows_sum_to_one_and_pick_matching_keys():
    # one key position aligned with a very large query: the output at that
    # query position is that key's value
    q = torch.zeros(1, 1, 3)
    k = torch.tensor([[[0.0, 50.0, 0.0]]])
    v = torch.tensor([[[1.0, 5.0, 3.0]]])
    q[0, 0, 0] = 1.0
    out = non_local_attention(q, k, v)
    assert torch.allclose(out[0, 0, 0], torch.tensor(5.0), atol=1e-6)
    # zero queries: uniform attention = mean of the values
    assert torch.allclose(out[0, 0, 1:], torch.tensor([3.0, 3.0]))
    # scaling divides the logits
    out = non_local_attention(q, k, v, scale=0.0)
    assert torch.allclose(out, torch.full((1, 1, 3), 3.0))


def test_gradients_reach_the_zero_initialised_norm():
    torch.manual_seed(2)
    block = NonLocalBlock2d(8)
    x = torch.randn(2, 8, 4, 4)
    block(x).pow(2).sum().backward()
    assert block.norm.weight.grad.abs().sum() > 0
    assert block.norm.bias.grad.abs().sum() > 0


def test_nonlocal_neck_keeps_shapes_and_passes_other_maps():
    torch.manual_seed(3)
    neck = MODELS.build(
        dict(type='NonLocalNeck', in_channels=32, num_blocks=2)
    )
    neck.init_weights()
    assert len(neck.blocks) == 2
    assert all(isinstance(b, NonLocalBlock2d) for b in neck.blocks)
    low, high = torch.randn(2, 16, 8, 8), torch.randn(2, 32, 4, 4)
    out = neck((low, high))
    assert isinstance(out, tuple) and len(out) == 2
    assert out[0] is low
    assert torch.equal(out[1], high)  # identity at init
    assert neck(high)[0].shape == high.shape  # a bare tensor works too
    # after training the blocks change the last map only, as the blocks do
    for b in neck.blocks:
        _randomize(b)
    neck.eval()
    expected = neck.blocks[1](neck.blocks[0](high))
    assert torch.allclose(neck((low, high))[1], expected)
    assert not torch.allclose(expected, high)


def test_nonlocal_neck_block_config():
    neck = NonLocalNeck(64, block=dict(type='NonLocalBlock2d', reduction=4))
    assert neck.blocks[0].theta.out_channels == 16
    with pytest.raises(ValueError):
        NonLocalNeck(64, num_blocks=0)
    assert isinstance(neck.blocks[0].norm, nn.BatchNorm2d)
