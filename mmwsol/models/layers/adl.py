"""Attention-based Dropout Layer (Choe and Shim, CVPR 2019)."""

import torch
import torch.nn as nn

from mmwsol.registry import MODELS


def adl_maps(feats: torch.Tensor, drop_threshold: float) -> tuple:
    """The two maps ADL chooses between.

    ``attention = mean_c(feats)``; the importance map is
    ``sigmoid(attention)`` and the drop mask is 1 where ``attention <
    drop_threshold * max_hw(attention)`` (per image), 0 elsewhere -- the
    most activated region is dropped (wsolevaluation's
    ``wsol/method/adl.py``).

    Args:
        feats (torch.Tensor): Features ``(N, C, H, W)``.
        drop_threshold (float): Fraction of each image's maximum attention
            at and above which positions are dropped.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: The importance map and the drop
        mask, both ``(N, 1, H, W)``.
    """
    if feats.dim() != 4:
        raise ValueError(
            f'ADL needs (N, C, H, W) features, got shape {tuple(feats.shape)}'
        )
    attention = feats.mean(dim=1, keepdim=True)
    peak = attention.flatten(1).amax(dim=1).view(-1, 1, 1, 1)
    drop_mask = (attention < peak * drop_threshold).to(feats.dtype)
    return attention.sigmoid(), drop_mask


def adl(
    feats: torch.Tensor, use_drop_mask: bool, drop_threshold: float
) -> torch.Tensor:
    """Multiply the features by ADL's drop mask or importance map.

    Args:
        feats (torch.Tensor): Features ``(N, C, H, W)``.
        use_drop_mask (bool): True: the drop mask; False: the importance
            map (see :func:`adl_maps`).
        drop_threshold (float): See :func:`adl_maps`.

    Returns:
        torch.Tensor: ``feats`` times the chosen map (broadcast over C).
    """
    importance, drop_mask = adl_maps(feats, drop_threshold)
    return feats * (drop_mask if use_drop_mask else importance)


@MODELS.register_module()
class ADL(nn.Module):
    """Attention-based Dropout Layer: a training-only, parameter-free layer.

    In training, one draw per batch chooses the drop mask (probability
    ``drop_rate``) or the importance map for the whole batch, by
    wsolevaluation's rule: the drop mask when ``floor(u + drop_rate) == 1``
    for ``u = torch.rand(())`` (float32); in evaluation the layer is the
    identity. Insert it with :class:`InsertLayers`, e.g.
    ``dict(after='layer3.0', module=dict(type='ADL'))``.

    The draw uses torch's global generator, whose state ``RNGStateHook``
    stores in checkpoints (exact resume).

    Args:
        drop_rate (float): Probability of using the drop mask. Defaults to
            0.75 (wsolevaluation's ``--adl_drop_rate``).
        drop_threshold (float): See :func:`adl_maps`. Defaults to 0.9
            (wsolevaluation's ``--adl_threshold``, which overrides the
            module's own default of 0.8).
    """

    def __init__(self, drop_rate: float = 0.75, drop_threshold: float = 0.9):
        super().__init__()
        for name, value in (
            ('drop_rate', drop_rate),
            ('drop_threshold', drop_threshold),
        ):
            if not 0 <= value <= 1:
                raise ValueError(f'ADL {name} must be in [0, 1], got {value}')
        self.drop_rate = drop_rate
        self.drop_threshold = drop_threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ADL in training; return ``x`` unchanged in evaluation."""
        if not self.training:
            return x
        use_drop_mask = bool((torch.rand(()) + self.drop_rate).floor() == 1)
        return adl(x, use_drop_mask, self.drop_threshold)

    def extra_repr(self) -> str:
        return (
            f'drop_rate={self.drop_rate}, drop_threshold={self.drop_threshold}'
        )
