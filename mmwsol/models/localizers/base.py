"""Base class of localizers: modules that turn a classifier into maps."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from .functional import normalize_maps, resize_maps


class BaseLocalizer(BaseModule, metaclass=ABCMeta):
    """Base class of localizers.

    A localizer produces one raw score map per (sample, target class) from a
    classifier's features and head (or, for gradient-based methods, from the
    model itself). :meth:`localize` then resizes the maps to the input size
    and min-max normalises them, which is the contract used by the metrics,
    hooks and tools.

    Args:
        upsample (str): Interpolation used to bring maps to the input size.
            Defaults to ``'bicubic'`` (the community protocol).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, upsample: str = 'bicubic',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if upsample not in ('bicubic', 'bilinear', 'nearest'):
            raise ValueError(f'unknown upsample mode {upsample!r}')
        self.upsample = upsample

    @abstractmethod
    def forward(self, model: nn.Module, inputs: torch.Tensor,
                feats: Tuple[torch.Tensor], logits: torch.Tensor,
                targets: torch.Tensor) -> torch.Tensor:
        """Compute raw maps.

        Args:
            model (nn.Module): The classifier (gives access to its head).
            inputs (torch.Tensor): The preprocessed input batch
                ``(N, 3, H, W)``.
            feats (tuple[torch.Tensor]): The classifier's features (backbone
                and neck outputs).
            logits (torch.Tensor): Class logits ``(N, K)``.
            targets (torch.Tensor): Target classes ``(N, T)``.

        Returns:
            torch.Tensor: Raw maps of shape ``(N, T, h, w)``.
        """

    def localize(self, model: nn.Module, inputs: torch.Tensor,
                 feats: Tuple[torch.Tensor], logits: torch.Tensor,
                 targets: torch.Tensor,
                 out_size: Optional[Sequence[int]] = None) -> torch.Tensor:
        """Compute maps resized to ``out_size`` and normalised to [0, 1].

        Args:
            model, inputs, feats, logits, targets: See :meth:`forward`.
            out_size (Sequence[int], optional): Output ``(H, W)``; defaults
                to the input's spatial size.

        Returns:
            torch.Tensor: Maps of shape ``(N, T, H, W)`` in ``[0, 1]``.
        """
        if targets.dim() != 2 or targets.shape[0] != logits.shape[0]:
            raise ValueError('targets must have shape (N, T) with N = '
                             f'{logits.shape[0]}, got {tuple(targets.shape)}')
        maps = self(model, inputs, feats, logits, targets)
        size = inputs.shape[-2:] if out_size is None else out_size
        return normalize_maps(resize_maps(maps, size, self.upsample))
