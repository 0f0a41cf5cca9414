"""Smooth Grad-CAM++ (Omeiza et al., 2019) on any layer."""

from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from .base import BaseLocalizer
from .grad_cam_plus_plus import _check_variant_eps
from .grad_capture import (
    SCORES,
    LayerGradCapture,
    model_logits,
    select_scores,
)


def smooth_grad_cam_plus_plus_maps(
    acts: torch.Tensor,
    grads: torch.Tensor,
    relu: bool = True,
    variant: str = 'paper',
    eps: Optional[float] = None,
) -> torch.Tensor:
    """Smooth Grad-CAM++ from the gradients of ``S`` noisy inputs.

    With ``D^k = mean_s (dS/dZ)_s^k`` the sample means of the gradients'
    powers (Omeiza et al., eq. 8-10), the Grad-CAM++ formula of
    :func:`~.grad_cam_plus_plus.grad_cam_plus_plus_maps` with ``D^2`` and
    ``D^3`` in place of ``g^2`` and ``g^3``:

    ``alpha = D^2 / (2 D^2 + D^3 sum_ab Z_ab)`` (``variant='paper'``; the
    BagCAMs code's ``sum_ab Z_ab D^3_ab`` for ``'reference'``),
    ``w_c = sum_ij alpha_{c,ij} relu(D^1_{c,ij})``, map
    ``relu(sum_c w_c Z_c)``, with ``Z`` the activation of the clean input.
    A zero denominator is replaced by 1, then ``eps`` is added. One sample
    of zero noise gives Grad-CAM++ exactly.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)`` (clean input).
        grads (torch.Tensor): Gradients ``(N, S, T, C, h, w)``, one per
            noise sample.
        relu (bool): Apply ReLU to the map. Defaults to True.
        variant (str): ``'paper'`` or ``'reference'``. Defaults to
            ``'paper'``.
        eps (float, optional): Added to the denominator. Defaults to None:
            0 for ``'paper'``, ``1e-7`` for ``'reference'``.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    if (
        acts.dim() != 4
        or grads.dim() != 6
        or grads.shape[:1] + grads.shape[3:] != acts.shape
    ):
        raise ValueError(
            'expected acts (N, C, h, w) and grads (N, S, T, C, h, w), got '
            f'{tuple(acts.shape)} and {tuple(grads.shape)}'
        )
    eps = _check_variant_eps(variant, eps)
    return _maps_from_moments(
        acts,
        grads.mean(dim=1),
        grads.pow(2).mean(dim=1),
        grads.pow(3).mean(dim=1),
        relu,
        variant,
        eps,
    )


def _maps_from_moments(
    acts: torch.Tensor,
    d1: torch.Tensor,
    d2: torch.Tensor,
    d3: torch.Tensor,
    relu: bool,
    variant: str,
    eps: float,
) -> torch.Tensor:
    """Maps ``(N, T, h, w)`` from the gradient moments ``(N, T, C, h, w)``."""
    a = acts[:, None]  # (N, 1, C, h, w)
    if variant == 'paper':
        spatial = d3 * a.sum(dim=(-2, -1), keepdim=True)
    else:
        spatial = (a * d3).sum(dim=(-2, -1), keepdim=True)
    denom = 2 * d2 + spatial
    denom = torch.where(denom != 0, denom, torch.ones_like(denom))
    alpha = d2 / (denom + eps)
    weights = (alpha * d1.clamp(min=0)).sum(dim=(-2, -1))  # (N, T, C)
    maps = torch.einsum('ntc,nchw->nthw', weights, acts)
    return maps.clamp(min=0) if relu else maps


def smooth_noise(
    shape: Tuple[int, ...], n_samples: int, seed: int
) -> torch.Tensor:
    """Standard normal noise ``(n_samples, *shape)`` from a CPU
    ``torch.Generator`` seeded with ``seed``: the same on every device and
    at every call."""
    gen = torch.Generator(device='cpu')
    gen.manual_seed(int(seed))
    return torch.randn((n_samples, *shape), generator=gen)


@MODELS.register_module()
class SmoothGradCAMpp(BaseLocalizer):
    """Smooth Grad-CAM++ on a named layer: Grad-CAM++ with the gradient
    powers averaged over ``n_samples`` noisy copies of the input.

    Copy ``s`` of image ``i`` is ``x_i + sigma * (max x_i - min x_i) *
    e_s``: ``sigma`` is the noise level relative to each image's value
    range (SmoothGrad's convention), and ``e_s ~ N(0, 1)`` of shape
    ``(3, H, W)`` is drawn from a CPU ``torch.Generator`` seeded with
    ``seed`` at every call, the same ``e_s`` for every image of the batch:
    an image's map depends only on the image, the model and ``seed`` (not
    on the batch, the device's generator or earlier calls). The activation
    ``Z`` is the clean input's. Cost: ``n_samples`` forward and backward
    passes plus one forward pass.

    Defaults: ``n_samples=20, sigma=0.15`` (the common PyTorch Smooth
    Grad-CAM++ implementation's; SmoothGrad recommends 10-20 % noise), the
    Grad-CAM++ paper's pixel weights with ``eps=0``, the target logit, ReLU
    on the map, bilinear upsampling. ``n_samples=1, sigma=0`` is
    :class:`GradCAMPlusPlus`. pytorch-grad-cam has no Smooth Grad-CAM++
    (see docs/posthoc_cams.md).

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'`` or a
            transformer block.
        n_samples (int): Noisy copies per image. Defaults to 20.
        sigma (float): Noise standard deviation relative to the image's
            value range. Defaults to 0.15.
        seed (int): Seed of the noise. Defaults to 0.
        relu (bool): Apply ReLU to the map. Defaults to True.
        variant (str): ``'paper'`` or ``'reference'`` pixel weights (see
            :class:`GradCAMPlusPlus`). Defaults to ``'paper'``.
        eps (float, optional): Added to the pixel weights' denominator.
            Defaults to None: 0 for ``'paper'``, ``1e-7`` for
            ``'reference'``.
        score (str): Score differentiated. Defaults to ``'logit'``.
        guided_relu (bool): Guided backpropagation. Defaults to False.
        upsample (str): Defaults to ``'bilinear'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        n_samples: int = 20,
        sigma: float = 0.15,
        seed: int = 0,
        relu: bool = True,
        variant: str = 'paper',
        eps: Optional[float] = None,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if not isinstance(layer, str) or not layer:
            raise ValueError(f'layer must be a module name, got {layer!r}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        if isinstance(n_samples, bool) or int(n_samples) < 1:
            raise ValueError(f'n_samples={n_samples} must be >= 1')
        if not float(sigma) >= 0:
            raise ValueError(f'sigma={sigma} must be >= 0')
        self.layer = layer
        self.n_samples = int(n_samples)
        self.sigma = float(sigma)
        self.seed = int(seed)
        self.relu = relu
        self.eps = _check_variant_eps(variant, eps)
        self.variant = variant
        self.score = score
        self.guided_relu = guided_relu

    def _capture(
        self, model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Activation ``(N, C, h, w)`` and gradients ``(N, T, C, h, w)``
        of the targets' scores for one input batch."""
        with LayerGradCapture(model, self.layer, self.guided_relu) as cap:
            logits = cap.run(lambda: model_logits(model, inputs))
            acts = cap.activation.float()
            if acts.dim() != 4:
                raise ValueError(
                    f'layer {self.layer!r} gives a tensor of shape '
                    f'{tuple(acts.shape)}; a spatial (N, C, h, w) map or '
                    'tokens (N, L, C) are needed'
                )
            scores = select_scores(logits, targets, self.score)
            grads = [
                cap.gradients(scores[:, t], retain_graph=True).float()
                for t in range(scores.shape[1])
            ]
        if not grads:
            return acts, acts.new_zeros((acts.shape[0], 0, *acts.shape[1:]))
        return acts, torch.stack(grads, dim=1)

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw maps ``(N, T, h, w)``; ``feats`` and ``logits`` are
        not used."""
        inputs = inputs.float()
        noise = smooth_noise(inputs.shape[1:], self.n_samples, self.seed)
        noise = noise.to(inputs.device)
        flat = inputs.flatten(1)
        spread = (flat.max(dim=1).values - flat.min(dim=1).values).view(
            -1, 1, 1, 1
        )
        d1 = d2 = d3 = None
        for sample in noise:
            noisy = inputs + self.sigma * spread * sample
            _, g = self._capture(model, noisy, targets)
            if d1 is None:
                d1, d2, d3 = g, g.pow(2), g.pow(3)
            else:
                d1, d2, d3 = d1 + g, d2 + g.pow(2), d3 + g.pow(3)
        with torch.no_grad():
            acts = self._capture(model, inputs, targets[:, :0])[0]
        k = float(self.n_samples)
        return _maps_from_moments(
            acts, d1 / k, d2 / k, d3 / k, self.relu, self.variant, self.eps
        )

    def extra_repr(self) -> str:
        return (
            f'layer={self.layer!r}, n_samples={self.n_samples}, '
            f'sigma={self.sigma}, seed={self.seed}, relu={self.relu}, '
            f'variant={self.variant!r}, eps={self.eps}, '
            f'score={self.score!r}, guided_relu={self.guided_relu}, '
            f'upsample={self.upsample!r}'
        )
