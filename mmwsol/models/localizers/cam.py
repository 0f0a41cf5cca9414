"""Vanilla class activation maps (Zhou et al., CVPR 2016)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS
from .base import BaseLocalizer


def class_activation_maps(features: torch.Tensor, weights: torch.Tensor,
                          targets: torch.Tensor,
                          clamp_negative: bool = False) -> torch.Tensor:
    """Compute ``sum_c w[k, c] * F_c`` for the target classes (no bias).

    Args:
        features (torch.Tensor): Feature maps ``(N, C, h, w)``.
        weights (torch.Tensor): Classifier weights ``(K, C)``.
        targets (torch.Tensor): Target classes ``(N, T)``.
        clamp_negative (bool): Clamp the class weights to be non-negative at
            map time (negative weight clamping, Rethinking-CAM).

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    if features.shape[1] != weights.shape[1]:
        raise ValueError(f'features have {features.shape[1]} channels but the '
                         f'classifier expects {weights.shape[1]}')
    w = weights[targets]  # (N, T, C)
    if clamp_negative:
        w = w.clamp(min=0)
    return torch.einsum('ntc,nchw->nthw', w.to(features.dtype), features)


def cam_style_head(model: nn.Module, method: str) -> nn.Module:
    """The model's head, checked to give what CAM-style maps read.

    Args:
        model (nn.Module): The classifier.
        method (str): The localizer asking, for the error message.

    Returns:
        nn.Module: ``model.head``, which has ``cam_features`` and
        ``class_weights``.

    Raises:
        TypeError: The head lacks one of them.
    """
    head = model.head
    if not (hasattr(head, 'cam_features') and hasattr(head, 'class_weights')):
        raise TypeError(f'{type(head).__name__} does not provide '
                        f'`cam_features` and `class_weights`; {method} needs '
                        'a CAM-style head such as CAMHead.')
    return head


@MODELS.register_module()
class CAM(BaseLocalizer):
    """Class activation maps from a head's classifier weights.

    Needs a head with ``cam_features(feats)`` and ``class_weights()`` (e.g.
    :class:`CAMHead`).

    Args:
        clamp_negative_weights (bool): Negative weight clamping: use
            ``max(w, 0)`` when building maps (classification is unchanged).
            Defaults to False.
        upsample (str): Interpolation to the input size. Defaults to
            ``'bicubic'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 clamp_negative_weights: bool = False,
                 upsample: str = 'bicubic',
                 init_cfg: Optional[dict] = None):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        self.clamp_negative_weights = clamp_negative_weights

    def forward(self, model: nn.Module, inputs: torch.Tensor,
                feats: Tuple[torch.Tensor], logits: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """Return raw CAMs ``(N, T, h, w)`` for the target classes."""
        head = cam_style_head(model, 'CAM')
        return class_activation_maps(
            head.cam_features(feats), head.class_weights(), targets,
            self.clamp_negative_weights)
