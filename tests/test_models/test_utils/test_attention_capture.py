"""The class token attention captured from mmpretrain's ViT / DeiT layers
equals the attention computed explicitly from the layers' weights."""

import pytest
import torch
import torch.nn as nn
from mmpretrain.models import DistilledVisionTransformer, VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

from mmwsol.models.utils.attention_capture import (
    ClassTokenAttentionCapture,
    attention_modules,
    class_token_attention,
)

ARCH = {
    'embed_dims': 12,
    'num_layers': 3,
    'num_heads': 3,
    'feedforward_channels': 24,
}


def _explicit_attention(backbone, x):
    """Run the backbone layer by layer; per layer, the full L x L attention
    ``softmax(Q K^T / sqrt(d))`` from the ``qkv`` weights (the slow way),
    and check that the layer output it implies is the layer's own."""
    n = x.shape[0]
    tokens, hw = backbone.patch_embed(x)
    extra = [backbone.cls_token.expand(n, -1, -1)]
    if getattr(backbone, 'dist_token', None) is not None:
        extra.append(backbone.dist_token.expand(n, -1, -1))
    pos = resize_pos_embed(
        backbone.pos_embed,
        backbone.patch_resolution,
        hw,
        num_extra_tokens=backbone.num_extra_tokens,
    )
    tokens = torch.cat(extra + [tokens], dim=1) + pos
    tokens = backbone.pre_norm(tokens)
    rows = []
    for layer in backbone.layers:
        attn = layer.attn
        h = layer.ln1(tokens)
        heads, d = attn.num_heads, attn.head_dims
        w_q, w_k, w_v = attn.qkv.weight.split(attn.embed_dims)
        b_q, b_k, b_v = attn.qkv.bias.split(attn.embed_dims)
        length = h.shape[1]

        def split(t):
            return t.reshape(n, length, heads, d).transpose(1, 2)

        q, k, v = (
            split(h @ w.t() + b)
            for w, b in ((w_q, b_q), (w_k, b_k), (w_v, b_v))
        )
        full = torch.softmax(q @ k.transpose(-1, -2) / d**0.5, dim=-1)
        rows.append(full[:, :, 0])  # the class token's row
        mixed = (full @ v).transpose(1, 2).reshape(n, length, -1)
        expected = tokens + attn.proj(mixed)
        expected = layer.ffn(layer.ln2(expected), identity=expected)
        tokens = layer(tokens)
        torch.testing.assert_close(expected, tokens, rtol=1e-4, atol=1e-5)
    return torch.stack(rows), hw


@pytest.mark.parametrize(
    'cls, hw',
    [
        (VisionTransformer, (32, 32)),
        (DistilledVisionTransformer, (32, 48)),  # 2 extra tokens, 2x3 grid
    ],
)
def test_capture_equals_explicit_attention(cls, hw):
    torch.manual_seed(0)
    backbone = cls(arch=ARCH, img_size=32, patch_size=16)
    backbone.eval()
    x = torch.randn(2, 3, *hw)
    with torch.no_grad():
        expected, grid = _explicit_attention(backbone, x)
        with ClassTokenAttentionCapture(backbone) as capture:
            backbone(x)
    got = capture.attention
    extra = backbone.num_extra_tokens
    assert got.shape == (3, 2, 3, extra + grid[0] * grid[1])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(got.sum(-1), torch.ones(3, 2, 3))


def test_hooks_are_removed_and_nothing_is_recorded_outside():
    backbone = VisionTransformer(arch=ARCH, img_size=32, patch_size=16)
    qkv = backbone.layers[0].attn.qkv
    before = dict(qkv._forward_hooks)
    with ClassTokenAttentionCapture(backbone):
        assert len(qkv._forward_hooks) == len(before) + 1
    assert dict(qkv._forward_hooks) == before
    capture = ClassTokenAttentionCapture(backbone)
    with pytest.raises(RuntimeError, match='no attention captured'):
        capture.attention


def test_class_token_attention_by_hand():
    # one image, 2 tokens, 1 head of dim 2: q0 = (1, 0), k = (1, 0), (0, 1)
    qkv = torch.tensor([[[1.0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0]]])
    got = class_token_attention(qkv, num_heads=1, scale=0.5)
    e = torch.exp(torch.tensor(0.5))
    torch.testing.assert_close(
        got, torch.tensor([[[e / (e + 1), 1 / (e + 1)]]])
    )
    with pytest.raises(ValueError, match='num_heads=4'):
        class_token_attention(qkv, num_heads=4, scale=1.0)


def test_non_transformer_backbone_is_refused():
    with pytest.raises(TypeError, match='ViT-like backbone'):
        attention_modules(nn.Sequential(nn.Conv2d(3, 4, 3)))
