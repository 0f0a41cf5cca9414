"""Losses of WSOL methods."""

from .restricted_activation_loss import (
    RestrictedActivationLoss,
    restricted_activation_loss,
    restricted_activation_masks,
)

__all__ = [
    'RestrictedActivationLoss',
    'restricted_activation_loss',
    'restricted_activation_masks',
]
