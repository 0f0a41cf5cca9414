"""ACoL's test-time map (Zhang et al., CVPR 2018)."""

from typing import Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from .base import BaseLocalizer


@MODELS.register_module()
class ACoLCAM(BaseLocalizer):
    """The element-wise maximum of both ACoL branches' normalised maps.

    For each target class ``t``, branch B runs on the features erased by
    branch A's map of ``t`` (wsolevaluation computes the test maps with the
    ground-truth labels, which are the targets here), and the map is
    ``max(norm(A_t), norm(B_t))``. Needs :class:`ACoLHead`; its branch A
    alone is a CAM-style head (``CAM`` gives A's map).

    Args:
        upsample (str): Interpolation to the input size. Defaults to
            ``'bicubic'`` (the community evaluator's).
        init_cfg (dict, optional): Initialisation config.
    """

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return ``(N, T, h, w)`` maps for the target classes."""
        head = model.head
        if not hasattr(head, 'fused_maps'):
            raise TypeError(
                f'ACoLCAM needs an ACoLHead, got {type(head).__name__}'
            )
        return head.fused_maps(feats, targets)
