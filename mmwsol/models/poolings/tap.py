"""Thresholded average pooling (TAP, Rethinking CAM, ECCV 2020)."""

import torch
import torch.nn as nn

from mmwsol.registry import MODELS


def thresholded_avg_pool(x: torch.Tensor, threshold: float) -> torch.Tensor:
    """Average each channel over its positions above a fraction of its max.

    Eq. (4) of Bae et al., "Rethinking Class Activation Mapping for Weakly
    Supervised Object Localization" (ECCV 2020): per sample and channel,
    ``tau = threshold * max(F_c)`` and

    ``p_c = sum(F_c * [F_c > tau]) / sum([F_c > tau])``,

    with ``p_c = 0`` when no position is kept (the authors' code divides by
    ``max(count, 1)``). Consequences of the strict ``>``:

    - ``threshold=0`` keeps the positive values, i.e. ``p_c`` is the mean of
      the positive activations (ReLU features: of the non-zero ones).
    - A channel whose maximum is ``<= 0`` keeps nothing (``tau >= max``
      because ``threshold < 1``) and pools to 0.
    - A channel whose values all exceed ``tau`` (e.g. a strictly positive
      channel with ``threshold=0``) pools exactly like GAP.

    The threshold is not differentiated (it only selects positions); the
    gradient of ``p_c`` is ``1 / count`` at the kept positions and 0
    elsewhere. Half-precision inputs (autocast) are accumulated in float32
    and the result is returned in the input dtype.

    Args:
        x (torch.Tensor): Features of shape ``(N, C, *spatial)``.
        threshold (float): ``theta_tap`` in ``[0, 1)``.

    Returns:
        torch.Tensor: Pooled features of shape ``(N, C)``, dtype of ``x``.
    """
    if x.dim() < 3:
        raise ValueError(
            'thresholded_avg_pool expects (N, C, *spatial) '
            f'features, got shape {tuple(x.shape)}'
        )
    if not 0 <= threshold < 1:
        raise ValueError(f'threshold must be in [0, 1), got {threshold}')
    flat = x.flatten(2)
    if flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    tau = flat.amax(dim=2, keepdim=True).detach() * threshold
    keep = flat > tau
    kept_sum = torch.where(keep, flat, torch.zeros_like(flat)).sum(dim=2)
    count = keep.sum(dim=2).clamp(min=1).to(flat.dtype)
    return (kept_sum / count).to(x.dtype)


@MODELS.register_module()
class ThresholdedAvgPool(nn.Module):
    """Thresholded average pooling (TAP) of Rethinking CAM.

    A drop-in replacement of :class:`GAP` in CAM-style heads, used at
    training and test time, e.g.
    ``CAMHead(pool=dict(type='ThresholdedAvgPool', threshold=0.1))``.
    Each channel is averaged over its *activated* area (values above
    ``threshold`` times the channel's maximum) instead of over the whole map,
    so a channel firing on a small part is not down-weighted by its area
    and its classifier weight need not be inflated to compensate (the bias
    of GAP, paper Sec. 2.2). Class activation maps are still computed from
    the unpooled features.

    The paper uses ``threshold=0.1`` for VGG16 / MobileNetV1 and ``0.0`` for
    ResNet50-SE / GoogLeNet (InceptionV3).

    Args:
        threshold (float): ``theta_tap`` in ``[0, 1)``. Defaults to 0.
    """

    def __init__(self, threshold: float = 0.0) -> None:
        super().__init__()
        if not 0 <= threshold < 1:
            raise ValueError(f'threshold must be in [0, 1), got {threshold}')
        self.threshold = float(threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool the features.

        Args:
            x (torch.Tensor): Features of shape ``(N, C, H, W)``.

        Returns:
            torch.Tensor: Pooled features of shape ``(N, C)``.
        """
        return thresholded_avg_pool(x, self.threshold)

    def extra_repr(self) -> str:
        """Show the threshold in ``print(model)``."""
        return f'threshold={self.threshold}'
