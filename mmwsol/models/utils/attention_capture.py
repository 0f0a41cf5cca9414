"""The class token's attention of mmpretrain's transformer layers, captured
during the forward pass.

mmpretrain's ``MultiheadAttention`` (ViT, DeiT, ...) computes
``F.scaled_dot_product_attention(q, k, v)`` when torch has it: the
attention matrix is never materialised and the module does not return it.
TS-CAM needs only one row of it per head, the class token's attention to
all tokens ``softmax(q_cls k^T / sqrt(d))``, ``(num_heads, L)``. That row
is cheap to get from what the layer computes anyway: a forward hook on the
layer's ``qkv`` linear (a module of the model, not a copy, and no method is
replaced) reads its output ``(N, L, 3C)``, splits it as the attention
module does (``(N, L, 3, heads, d)``) and computes
``q[:, :, 0] . k^T``: ``L * C`` multiply-adds per layer and image, against
the ``L^2 * C`` of the attention itself and the ``12 L C^2`` of the whole
layer. Nothing of the layer is recomputed.

The scale is ``head_dims ** -0.5``: mmpretrain's ``MultiheadAttention``
uses it whatever ``qk_scale`` says (``qk_scale`` only switches to its
Python implementation, still called with ``scale=head_dims ** -0.5``).
"""

from typing import List, Optional

import torch
import torch.nn as nn


def class_token_attention(
    qkv: torch.Tensor, num_heads: int, scale: float, token: int = 0
) -> torch.Tensor:
    """One query token's attention to all tokens, from a ``qkv`` output.

    Args:
        qkv (torch.Tensor): Output of the layer's ``qkv`` linear,
            ``(N, L, 3 * C)``, laid out as ``(3, num_heads, C / num_heads)``
            on the last dimension (mmpretrain's ``MultiheadAttention``).
        num_heads (int): Number of attention heads.
        scale (float): Scale of the dot products (``head_dims ** -0.5``).
        token (int): Index of the query token. Defaults to 0 (the class
            token).

    Returns:
        torch.Tensor: ``(N, num_heads, L)``: ``softmax(q_t k^T * scale)``
        per head, each row summing to 1.
    """
    if qkv.dim() != 3 or qkv.shape[-1] % (3 * num_heads):
        raise ValueError(
            f'qkv must be (N, L, 3 * C) with C divisible by num_heads='
            f'{num_heads}, got {tuple(qkv.shape)}'
        )
    n, length, _ = qkv.shape
    qkv = qkv.reshape(n, length, 3, num_heads, -1)
    q = qkv[:, token, 0]  # (N, heads, d)
    k = qkv[:, :, 1]  # (N, L, heads, d)
    logits = torch.einsum('nhd,nlhd->nhl', q.float(), k.float()) * scale
    return logits.softmax(dim=-1)


def attention_modules(backbone: nn.Module) -> List[nn.Module]:
    """The self-attention modules of a plain transformer backbone.

    Args:
        backbone (nn.Module): An mmpretrain ViT-like backbone (``layers``,
            each with an ``attn`` holding ``qkv``, ``num_heads`` and
            ``head_dims``: ViT, DeiT, ...).

    Returns:
        list[nn.Module]: ``backbone.layers[i].attn`` for every layer.

    Raises:
        TypeError: The backbone has no such layers (e.g. a CNN, or Swin,
            whose window attention has no class token).
    """
    layers = getattr(backbone, 'layers', None)
    mods = [getattr(layer, 'attn', None) for layer in layers or ()]
    if not mods or any(
        not all(hasattr(m, a) for a in ('qkv', 'num_heads', 'head_dims'))
        for m in mods
    ):
        raise TypeError(
            f'{type(backbone).__name__}: the class token attention needs a '
            'ViT-like backbone whose backbone.layers[i].attn is an '
            "mmpretrain MultiheadAttention (with 'qkv', 'num_heads', "
            "'head_dims'), e.g. VisionTransformer or DeiT"
        )
    return mods


class ClassTokenAttentionCapture:
    """Context manager recording the class token's attention of each layer.

    Inside the ``with`` block every forward pass of the backbone appends,
    per attention module, the ``(N, num_heads, L)`` attention of token
    ``token`` (see :func:`class_token_attention`); :attr:`attention`
    stacks the last pass's rows to ``(num_layers, N, num_heads, L)``.
    Hooks are removed on exit. The rows are detached (maps, not losses).

    Args:
        backbone (nn.Module): ViT-like backbone (see
            :func:`attention_modules`).
        token (int): Query token. Defaults to 0 (the class token).
    """

    def __init__(self, backbone: nn.Module, token: int = 0):
        self.modules = attention_modules(backbone)
        self.token = token
        self._rows: List[Optional[torch.Tensor]] = [None] * len(self.modules)
        self._handles = []

    def _hook(self, index: int, attn: nn.Module):
        scale = attn.head_dims**-0.5

        def hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            self._rows[index] = class_token_attention(
                out.detach(), attn.num_heads, scale, self.token
            )

        return hook

    def __enter__(self) -> 'ClassTokenAttentionCapture':
        self._rows = [None] * len(self.modules)
        self._handles = [
            attn.qkv.register_forward_hook(self._hook(i, attn))
            for i, attn in enumerate(self.modules)
        ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @property
    def attention(self) -> torch.Tensor:
        """``(num_layers, N, num_heads, L)``: the last pass's rows."""
        missing = [i for i, r in enumerate(self._rows) if r is None]
        if missing:
            raise RuntimeError(
                f'no attention captured for layers {missing}: run the '
                'backbone inside the capture first'
            )
        return torch.stack(self._rows)
