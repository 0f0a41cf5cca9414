"""Global average pooling over the spatial dimensions."""

import torch
import torch.nn as nn

from mmwsol.registry import MODELS


def global_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """Average a feature map over its spatial dimensions.

    Args:
        x (torch.Tensor): Features of shape ``(N, C, *spatial)``.

    Returns:
        torch.Tensor: Pooled features of shape ``(N, C)``.
    """
    if x.dim() < 3:
        raise ValueError(
            'global_avg_pool expects (N, C, *spatial) features, '
            f'got shape {tuple(x.shape)}'
        )
    return x.flatten(2).mean(dim=2)


@MODELS.register_module()
class GAP(nn.Module):
    """Global average pooling, the pooling of vanilla CAM.

    Maps ``(N, C, H, W)`` features to ``(N, C)`` vectors. Because it is
    linear, a linear classifier on top of it commutes with it, which is what
    makes class activation maps ``sum_c w[k, c] * F_c`` meaningful.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool the features.

        Args:
            x (torch.Tensor): Features of shape ``(N, C, H, W)``.

        Returns:
            torch.Tensor: Pooled features of shape ``(N, C)``.
        """
        return global_avg_pool(x)
