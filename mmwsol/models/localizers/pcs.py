"""Pixel-level class selection (PCS, Tan et al., ACM MM 2020) on any layer."""

import torch

from mmwsol.registry import MODELS

from .base_grad import ReLUGradLocalizer
from .grad_capture import check_gradient_shapes


def pcs_maps(
    acts: torch.Tensor, grads: torch.Tensor, relu: bool = True
) -> torch.Tensor:
    """PCS: ``sum_c dS/dZ_{c,i} * Z_{c,i}`` (each position uses its own
    gradient, no spatial averaging).

    On the last layer of a GAP + linear classifier this is exactly
    ``CAM_k / hw`` (``relu(CAM_k) / hw`` with ``relu``).

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients ``(N, T, C, h, w)``.
        relu (bool): Apply ReLU to the map. Defaults to True.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    maps = (grads * acts[:, None]).sum(dim=2)
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class PCS(ReLUGradLocalizer):
    """Pixel-level class selection, as the BagCAMs paper defines it.

    BagCAMs' Table 1: ``P_{k,i} = sum_c dS_k/dZ_{c,i} Z_{c,i}`` with ``S_k``
    the class score (BagCAMs eq. 12 with the coarse map ``P_hat = s_k``
    everywhere and the grouping ``Lambda^i_{m,n} = [i = n]``). The BagCAMs
    code backpropagates the target logit, without guided ReLU, and applies
    ReLU to the channel sum: the defaults here.

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
        """See :func:`pcs_maps`."""
        return pcs_maps(acts, grads, self.relu)
