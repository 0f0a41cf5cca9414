"""Restricted activation loss of SPA's RAM (Pan et al., CVPR 2021)."""

from typing import Tuple

import torch
import torch.nn as nn

from mmwsol.registry import MODELS


def _min_max_per_image(x: torch.Tensor) -> torch.Tensor:
    """Min-max normalise each ``(H, W)`` map of ``(N, H, W)`` to [0, 1].

    A constant map becomes zeros (the reference divides by
    ``max - min + 1e-15``, which gives the same zeros).
    """
    flat = x.flatten(1)
    lo = flat.amin(dim=1, keepdim=True)
    span = flat.amax(dim=1, keepdim=True) - lo
    out = torch.where(
        span > 0, (flat - lo) / span.clamp_min(1e-30), torch.zeros_like(flat)
    )
    return out.view_as(x)


def restricted_activation_masks(
    class_maps: torch.Tensor, tau: float, sigma: float
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Coarse background / object pseudo-masks of RAM (paper eqs. 3, 4).

    Per pixel, the class maps are turned into probabilities (softmax over
    the classes); the variance of those probabilities over the classes is
    low where every class responds alike (background) and high where one
    class dominates (object). The variance map is min-max normalised per
    image, then ``M_bg = v < tau`` and ``M_obj = v > tau + sigma``.

    The paper's text calls ``Var`` "the standard deviation" and does not
    mention the normalisation; the authors' code uses the variance
    (``torch.var``) and min-max normalises it, which is what is done here.
    ``torch.var`` is unbiased (``/ (K - 1)``) and this function uses the
    population variance (``/ K``): the factor cancels in the min-max
    normalisation, so the masks are identical.

    The masks carry no gradient.

    Args:
        class_maps (torch.Tensor): ``(N, K, H, W)`` class maps (logits).
        tau (float): Background threshold ``tau``.
        sigma (float): Gap ``sigma`` between background and object.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: ``(bg_mask, obj_mask)``, float
        ``(N, H, W)`` tensors of 0 / 1.
    """
    if class_maps.dim() != 4:
        raise ValueError(
            'class_maps must have shape (N, K, H, W), got '
            f'{tuple(class_maps.shape)}'
        )
    with torch.no_grad():
        probs = class_maps.detach().float().softmax(dim=1)
        var = probs.var(dim=1, unbiased=False)
        v = _min_max_per_image(var)
        bg = (v < tau).to(class_maps.dtype)
        obj = (v > tau + sigma).to(class_maps.dtype)
    return bg, obj


def restricted_activation_loss(
    class_maps: torch.Tensor, labels: torch.Tensor, tau: float, sigma: float
) -> torch.Tensor:
    """Restricted activation loss ``L_RA`` (paper eq. 5), unweighted.

    ``s = sigmoid(F_t)`` is the GT class map squashed to (0, 1) (eq. 2);
    ``L_RA = mean over all pixels (and images) of s * M_bg + (1 - s) *
    M_obj``: the GT map is pushed down on the pseudo-background and up on the
    pseudo-object. Pixels between the two thresholds do not contribute, but
    count in the mean (the ``1 / HW`` of eq. 5).

    Args:
        class_maps (torch.Tensor): ``(N, K, H, W)`` class maps (logits).
        labels (torch.Tensor): ``(N, )`` GT classes.
        tau (float): Background threshold.
        sigma (float): Gap between background and object thresholds.

    Returns:
        torch.Tensor: The scalar loss.
    """
    n = class_maps.shape[0]
    labels = labels.reshape(-1).long()
    if labels.numel() != n:
        raise ValueError(f'{labels.numel()} labels for {n} class maps')
    bg, obj = restricted_activation_masks(class_maps, tau, sigma)
    s = torch.sigmoid(
        class_maps[torch.arange(n, device=labels.device), labels]
    )
    return (s * bg + (1 - s) * obj).mean()


@MODELS.register_module()
class RestrictedActivationLoss(nn.Module):
    """Restricted activation loss of SPA's RAM, times its weight ``alpha``.

    See :func:`restricted_activation_loss`. The authors' defaults: CUB
    ``tau=0.1, sigma=0.2``; ImageNet ``tau=0.4, sigma=0.1``; ``alpha=0.5``
    for both.

    Args:
        tau (float): Background threshold on the normalised variance.
            Defaults to 0.1.
        sigma (float): Gap between the background and object thresholds.
            Defaults to 0.2.
        loss_weight (float): ``alpha``. Defaults to 0.5.
    """

    def __init__(
        self, tau: float = 0.1, sigma: float = 0.2, loss_weight: float = 0.5
    ):
        super().__init__()
        if not 0 <= tau <= 1 or sigma < 0:
            raise ValueError(
                f'need 0 <= tau <= 1 and sigma >= 0, got '
                f'tau={tau}, sigma={sigma}'
            )
        self.tau = float(tau)
        self.sigma = float(sigma)
        self.loss_weight = float(loss_weight)

    def forward(
        self, class_maps: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """Return ``loss_weight * L_RA``.

        Args:
            class_maps (torch.Tensor): ``(N, K, H, W)`` class maps.
            labels (torch.Tensor): ``(N, )`` GT classes.

        Returns:
            torch.Tensor: The weighted scalar loss.
        """
        return self.loss_weight * restricted_activation_loss(
            class_maps, labels, self.tau, self.sigma
        )

    def extra_repr(self) -> str:
        return (
            f'tau={self.tau}, sigma={self.sigma}, '
            f'loss_weight={self.loss_weight}'
        )
