"""The non-local block of NL-CCAM (Yang et al., WACV 2020, section 3.3)."""

from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule

from mmwsol.registry import MODELS


def non_local_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    scale: Optional[float] = None,
) -> torch.Tensor:
    """Embedded-Gaussian non-local operation on flattened feature maps.

    ``alpha = softmax_j(sum_c query[c, i] * key[c, j] * scale)`` and
    ``out[c, i] = sum_j alpha[i, j] * value[c, j]`` (paper eqs. 7-8 before
    the output convolution). NL-CCAM uses no scaling.

    Args:
        query (torch.Tensor): ``theta(x)``, shape ``(N, C', L)``.
        key (torch.Tensor): ``phi(x)``, shape ``(N, C', L)``.
        value (torch.Tensor): ``g(x)``, shape ``(N, Cv, L)``.
        scale (float, optional): Factor applied to the logits before the
            softmax (e.g. ``C' ** -0.5``); None means no scaling.

    Returns:
        torch.Tensor: ``(N, Cv, L)``: each position's attention-weighted sum
        of the values.
    """
    energy = torch.bmm(query.transpose(1, 2), key)  # (N, L, L): [i, j]
    if scale is not None:
        energy = energy * scale
    attention = energy.softmax(dim=-1)
    return torch.bmm(value, attention.transpose(1, 2))


@MODELS.register_module()
class NonLocalBlock2d(BaseModule):
    """Non-local block of NL-CCAM: ``y = x + BN(W_z(NL(x)))``.

    ``theta`` and ``phi`` are 1x1 convolutions ``C -> C / reduction``, ``g``
    is ``C -> C`` (not reduced, unlike MMCV's :class:`NonLocal2d`), the
    attention is ``softmax(theta^T phi)`` over all positions without scaling,
    followed by a 1x1 output convolution ``C -> C`` and a norm layer whose
    weight and bias start at 0, so that the block is the identity at
    initialisation (the authors' code); the result is added to the input.
    The convolutions keep PyTorch's default initialisation, as in the
    authors' code.

    Args:
        in_channels (int): Channels ``C`` of the input (and output).
        reduction (int): ``C / C'`` of ``theta`` and ``phi``. Defaults to 8.
        value_reduction (int): ``C / Cv`` of ``g`` (and the input of the
            output convolution). Defaults to 1 (no reduction, the paper).
        use_scale (bool): Scale the attention logits by ``C' ** -0.5``.
            Defaults to False (the paper).
        norm_cfg (dict, optional): Norm layer after the output convolution.
            None zero-initialises the output convolution instead (still the
            identity at init). Defaults to ``dict(type='BN')``.
        zero_init (bool): Zero the norm layer's weight and bias (or the
            output convolution without a norm layer) at initialisation.
            Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config of
            the convolutions. Defaults to None (PyTorch's default).

    Example:
        >>> import torch
        >>> block = NonLocalBlock2d(64)
        >>> x = torch.rand(2, 64, 8, 8)
        >>> torch.equal(block.eval()(x), x)
        True
    """

    def __init__(
        self,
        in_channels: int,
        reduction: int = 8,
        value_reduction: int = 1,
        use_scale: bool = False,
        norm_cfg: Optional[dict] = dict(type='BN'),
        zero_init: bool = True,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or reduction < 1 or value_reduction < 1:
            raise ValueError(
                'in_channels, reduction and value_reduction must be positive'
            )
        self.in_channels = in_channels
        self.reduction = reduction
        self.value_reduction = value_reduction
        self.use_scale = use_scale
        self.zero_init = zero_init
        self.inter_channels = max(in_channels // reduction, 1)
        self.value_channels = max(in_channels // value_reduction, 1)
        self.theta = nn.Conv2d(in_channels, self.inter_channels, 1)
        self.phi = nn.Conv2d(in_channels, self.inter_channels, 1)
        self.g = nn.Conv2d(in_channels, self.value_channels, 1)
        self.conv_out = nn.Conv2d(self.value_channels, in_channels, 1)
        if norm_cfg is not None:
            self.norm_name, norm = build_norm_layer(norm_cfg, in_channels)
            self.add_module(self.norm_name, norm)
        else:
            self.norm_name = None
        self._zero_init()

    @property
    def norm(self) -> Optional[nn.Module]:
        """The norm layer after the output convolution (None if absent)."""
        return getattr(self, self.norm_name) if self.norm_name else None

    def _zero_init(self) -> None:
        """Make the residual branch output 0 (the block is the identity)."""
        if not self.zero_init:
            return
        last = self.norm if self.norm is not None else self.conv_out
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def init_weights(self) -> None:
        """Apply ``init_cfg`` (if any), then zero the last layer again, so
        that an enclosing module's initialisation (e.g. norm weights set to
        1) cannot break the identity at init."""
        super().init_weights()
        self._zero_init()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x + BN(conv_out(non_local(x)))`` of the shape of ``x``."""
        n, _, h, w = x.shape
        scale = self.inter_channels**-0.5 if self.use_scale else None
        y = non_local_attention(
            self.theta(x).flatten(2),
            self.phi(x).flatten(2),
            self.g(x).flatten(2),
            scale,
        )
        y = self.conv_out(y.view(n, self.value_channels, h, w))
        if self.norm is not None:
            y = self.norm(y)
        return x + y
