"""Grad-CAM++ (Chattopadhay et al., WACV 2018) on any layer."""

from typing import Optional

import torch

from mmwsol.registry import MODELS

from .base_grad import ReLUGradLocalizer
from .grad_capture import check_gradient_shapes

VARIANTS = ('paper', 'reference')

#: ``eps`` of each variant when none is given: the authors' (BagCAMs code)
#: ``1e-7`` for ``'reference'``, none for the paper's formula.
DEFAULT_EPS = {'paper': 0.0, 'reference': 1e-7}


def _check_variant_eps(variant: str, eps: Optional[float]) -> float:
    """Validate ``variant`` and return the ``eps`` to use."""
    if variant not in VARIANTS:
        raise ValueError(
            f"variant must be 'paper' or 'reference', got {variant!r}"
        )
    if eps is None:
        return DEFAULT_EPS[variant]
    eps = float(eps)
    if not eps >= 0:
        raise ValueError(f'eps={eps} must be >= 0')
    return eps


def grad_cam_plus_plus_maps(
    acts: torch.Tensor,
    grads: torch.Tensor,
    relu: bool = True,
    variant: str = 'paper',
    eps: Optional[float] = None,
) -> torch.Tensor:
    """Grad-CAM++ with the closed form for an exponential output.

    With ``g = dS/dZ`` and ``Y = exp(S)``, the pixel weights are

    ``alpha_{c,ij} = g_{c,ij}^2 / (2 g_{c,ij}^2 + g_{c,ij}^3 sum_ab Z_{c,ab})``

    (``variant='paper'``, Grad-CAM++ eq. 19), the channel weights
    ``w_c = sum_ij alpha_{c,ij} relu(g_{c,ij})`` and the map
    ``relu(sum_c w_c Z_c)``. A zero denominator ``D`` is replaced by 1 (then
    ``alpha = 0``), and ``eps`` is added: ``alpha = g^2 / (D + eps)``. The
    paper's factor ``exp(S)`` in ``relu(exp(S) g)`` is a positive constant
    per map and is left out (it overflows for large logits and min-max
    normalisation removes it).

    ``variant='reference'`` uses ``sum_ab Z_{c,ab} g_{c,ab}^3`` in the
    denominator and ``eps = 1e-7``, as the BagCAMs code (its Tables 4-8)
    does. At realistic gradient sizes many denominators are below ``1e-6``,
    so ``eps`` matters (without it the maps differ from the authors' by up
    to 0.15). pytorch-grad-cam's ``GradCAMPlusPlus`` uses the paper's
    denominator with ``eps = 1e-6`` (and ``alpha = 0`` where ``g = 0``):
    ``variant='paper', eps=1e-6``. Both variants agree when the gradient is
    spatially constant (last layer of a GAP classifier) and ``eps = 0``:
    then ``w_c = relu(W_kc) / (2 + W_kc z_c)`` with ``z`` the pooled
    features.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients ``(N, T, C, h, w)``.
        relu (bool): Apply ReLU to the map. Defaults to True.
        variant (str): ``'paper'`` or ``'reference'``. Defaults to
            ``'paper'``.
        eps (float, optional): Added to the denominator (after zeros are
            replaced by 1). Defaults to None: 0 for ``'paper'``, ``1e-7``
            (the authors') for ``'reference'``.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    eps = _check_variant_eps(variant, eps)
    a = acts[:, None]  # (N, 1, C, h, w)
    g2 = grads.pow(2)
    g3 = grads.pow(3)
    if variant == 'paper':
        spatial = g3 * a.sum(dim=(-2, -1), keepdim=True)
    else:
        spatial = (a * g3).sum(dim=(-2, -1), keepdim=True)
    denom = 2 * g2 + spatial
    denom = torch.where(denom != 0, denom, torch.ones_like(denom))
    alpha = g2 / (denom + eps)
    weights = (alpha * grads.clamp(min=0)).sum(dim=(-2, -1))  # (N, T, C)
    maps = torch.einsum('ntc,nchw->nthw', weights, acts)
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class GradCAMPlusPlus(ReLUGradLocalizer):
    """Grad-CAM++ on a named layer.

    BagCAMs' Table 1 writes it ``sum_{n,c} alpha dS_k/dZ_{c,n} Z_{c,i}``
    (spatial weighting ``Lambda^i = diag(alpha)``). Defaults as the BagCAMs
    code: backpropagate the target logit, no guided ReLU, ReLU on the map,
    bilinear upsampling; the pixel weights follow the Grad-CAM++ paper unless
    ``variant='reference'`` (the authors' denominator and ``eps=1e-7``; see
    :func:`grad_cam_plus_plus_maps`). pytorch-grad-cam's form is
    ``variant='paper', eps=1e-6``.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'``.
        relu (bool): Apply ReLU to the map. Defaults to True.
        variant (str): ``'paper'`` or ``'reference'`` pixel weights.
            Defaults to ``'paper'``.
        eps (float, optional): Added to the pixel weights' denominator.
            Defaults to None: 0 for ``'paper'``, ``1e-7`` for
            ``'reference'``.
        score (str): Score differentiated. Defaults to ``'logit'``.
        guided_relu (bool): Guided backpropagation. Defaults to False.
        upsample (str): Defaults to ``'bilinear'``.
        targets_per_pass (int, optional): Target columns per backward
            pass; None (default): see :class:`BaseGradLocalizer`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        relu: bool = True,
        variant: str = 'paper',
        eps: Optional[float] = None,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        targets_per_pass: Optional[int] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            layer=layer,
            relu=relu,
            score=score,
            guided_relu=guided_relu,
            upsample=upsample,
            targets_per_pass=targets_per_pass,
            init_cfg=init_cfg,
        )
        self.eps = _check_variant_eps(variant, eps)
        self.variant = variant

    def maps_from_gradients(
        self, acts: torch.Tensor, grads: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        """See :func:`grad_cam_plus_plus_maps`."""
        return grad_cam_plus_plus_maps(
            acts, grads, self.relu, self.variant, self.eps
        )

    def extra_repr(self) -> str:
        return (
            f'{super().extra_repr()}, variant={self.variant!r}, eps={self.eps}'
        )
