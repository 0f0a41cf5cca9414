"""LayerCAM (Jiang et al., IEEE TIP 2021) on any layer."""

import torch

from mmwsol.registry import MODELS

from .base_grad import ReLUGradLocalizer
from .grad_capture import check_gradient_shapes


def layer_cam_maps(
    acts: torch.Tensor, grads: torch.Tensor, relu: bool = True
) -> torch.Tensor:
    """LayerCAM: ``relu(sum_c relu(dS/dZ_c) * Z_c)``.

    Each location of each channel gets its own weight, the positive part
    of the gradient there (LayerCAM eq. 4-5), instead of one weight per
    channel: the map keeps the layer's fine detail on early layers.

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients ``(N, T, C, h, w)``.
        relu (bool): Apply ReLU to the map. Defaults to True.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    maps = (grads.clamp(min=0) * acts[:, None]).sum(dim=2)
    return maps.clamp(min=0) if relu else maps


@MODELS.register_module()
class LayerCAM(ReLUGradLocalizer):
    """LayerCAM on a named layer: element-wise weights ``relu(dS/dZ)``.

    Defaults as the other gradient localizers here (and pytorch-grad-cam's
    ``LayerCAM``): the target logit is differentiated, ReLU on the map,
    bilinear upsampling, min-max normalisation. The paper fuses the maps of
    several layers (scaling shallow ones by ``tanh``); here one map per
    layer, as in pytorch-grad-cam (see docs/posthoc_cams.md).

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'`` or a
            transformer block (its tokens become a map).
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
        """See :func:`layer_cam_maps`."""
        return layer_cam_maps(acts, grads, self.relu)
