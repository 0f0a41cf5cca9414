"""Grad-CAM (Selvaraju et al., ICCV 2017) on any layer."""

import torch

from mmwsol.registry import MODELS

from .base_grad import ReLUGradLocalizer
from .grad_capture import check_gradient_shapes


def grad_cam_maps(
    acts: torch.Tensor, grads: torch.Tensor, relu: bool = True
) -> torch.Tensor:
    """Grad-CAM: ``relu(sum_c mean_hw(dS/dZ_c) * Z_c)``.

    On the last layer of a GAP + linear classifier (``dS_k/dZ_{c,i} =
    W[k, c] / hw`` everywhere), this is ``relu(CAM_k) / hw``.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients ``(N, T, C, h, w)``.
        relu (bool): Apply ReLU to the map. Defaults to True.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    weights = grads.mean(dim=(-2, -1))  # (N, T, C)
    maps = torch.einsum('ntc,nchw->nthw', weights, acts)
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class GradCAM(ReLUGradLocalizer):
    """Grad-CAM on a named layer: channel weights are the spatial mean of
    the gradient of the target's score.

    BagCAMs' Table 1 writes it ``(1/N) sum_{n,c} dS_k/dZ_{c,n} Z_{c,i}``.
    The BagCAMs code (used for its Tables 4-8) backpropagates the target
    logit without guided ReLU, applies ReLU, upsamples bilinearly and min-max
    normalises: the defaults here.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'``.
        relu (bool): Apply ReLU to the map. Defaults to True.
        score (str): Score differentiated. Defaults to ``'logit'``.
        guided_relu (bool): Guided backpropagation. Defaults to False.
        upsample (str): Defaults to ``'bilinear'``.
        targets_per_pass (int, optional): Target columns per backward
            pass; None (default): see :class:`BaseGradLocalizer`.
        init_cfg (dict, optional): Initialisation config.
    """

    def maps_from_gradients(
        self, acts: torch.Tensor, grads: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        """See :func:`grad_cam_maps`."""
        return grad_cam_maps(acts, grads, self.relu)
