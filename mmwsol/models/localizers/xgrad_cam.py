"""XGrad-CAM (Fu et al., BMVC 2020) on any layer."""

from typing import Optional

import torch

from mmwsol.registry import MODELS

from .base_grad import ReLUGradLocalizer
from .grad_capture import check_gradient_shapes

#: pytorch-grad-cam's ``eps`` (added to the channel sums).
DEFAULT_EPS = 1e-7


def _check_eps(eps: float) -> float:
    eps = float(eps)
    if not eps >= 0:
        raise ValueError(f'eps={eps} must be >= 0')
    return eps


def xgrad_cam_maps(
    acts: torch.Tensor,
    grads: torch.Tensor,
    relu: bool = True,
    eps: float = DEFAULT_EPS,
) -> torch.Tensor:
    """XGrad-CAM: ``relu(sum_c w_c Z_c)`` with
    ``w_c = sum_ij (Z_{c,ij} / (sum_ab Z_{c,ab} + eps)) dS/dZ_{c,ij}``.

    The channel weights are the gradient averaged with the normalised
    activation as the spatial weights (XGrad-CAM eq. 9), the solution of
    the paper's sensitivity and conservation axioms. A zero denominator
    (an all-zero channel with ``eps = 0``) gives the weight 0.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients ``(N, T, C, h, w)``.
        relu (bool): Apply ReLU to the map. Defaults to True.
        eps (float): Added to the channel sums. Defaults to ``1e-7``
            (pytorch-grad-cam's).

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    eps = _check_eps(eps)
    a = acts[:, None]  # (N, 1, C, h, w)
    denom = a.sum(dim=(-2, -1)) + eps  # (N, 1, C)
    num = (grads * a).sum(dim=(-2, -1))  # (N, T, C)
    safe = torch.where(denom != 0, denom, torch.ones_like(denom))
    weights = torch.where(denom != 0, num / safe, torch.zeros_like(num))
    maps = torch.einsum('ntc,nchw->nthw', weights, acts)
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class XGradCAM(ReLUGradLocalizer):
    """XGrad-CAM on a named layer: channel weights are the gradient
    averaged over the locations with the normalised activation as weights.

    Defaults as pytorch-grad-cam's ``XGradCAM``: the target logit is
    differentiated, ``eps = 1e-7``, ReLU on the map; bilinear upsampling.
    The paper's derivation assumes non-negative activations (after a ReLU);
    on a layer with signed outputs (a transformer block, a BN output) a
    channel sum near 0 makes its weight large.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'`` or a
            transformer block (its tokens become a map).
        relu (bool): Apply ReLU to the map. Defaults to True.
        eps (float): Added to the channel sums. Defaults to ``1e-7``.
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
        eps: float = DEFAULT_EPS,
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
        self.eps = _check_eps(eps)

    def maps_from_gradients(
        self, acts: torch.Tensor, grads: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        """See :func:`xgrad_cam_maps`."""
        return xgrad_cam_maps(acts, grads, self.relu, self.eps)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, eps={self.eps}'
