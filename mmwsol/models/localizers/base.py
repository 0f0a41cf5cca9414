"""Base class of localizers: modules that turn a classifier into maps."""

from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from .functional import (
    autocast_disabled,
    finite_maps,
    normalize_maps,
    resize_maps,
    to_float32,
)


class BaseLocalizer(BaseModule, metaclass=ABCMeta):
    """Base class of localizers.

    A localizer produces one raw score map per (sample, target class) from a
    classifier's features and head (or, for gradient-based methods, from the
    model itself). :meth:`localize` then resizes the maps to the input size
    and min-max normalises them, which is the contract used by the metrics,
    hooks and tools.

    **Precision.** :meth:`localize` runs the localizer in float32 whatever
    the autocast state (``--amp``): autocast is switched off inside, and
    float16 / bfloat16 features, logits and inputs are cast to float32. The
    backbone may have run in half precision; the maps are computed from its
    outputs in float32 (gradient localizers re-run the model in float32).

    **Invalid maps.** A raw map holding a NaN or inf value becomes all zeros
    after normalisation (an empty prediction for the community evaluator).
    :meth:`localize_with_validity` also returns which maps were valid, so
    that the caller can report them instead of scoring them silently.

    Args:
        upsample (str): Interpolation used to bring maps to the input size.
            Defaults to ``'bicubic'`` (the community protocol).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self, upsample: str = 'bicubic', init_cfg: Optional[dict] = None
    ):
        super().__init__(init_cfg=init_cfg)
        if upsample not in ('bicubic', 'bilinear', 'nearest'):
            raise ValueError(f'unknown upsample mode {upsample!r}')
        self.upsample = upsample

    @abstractmethod
    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
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

    def localize_with_validity(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
        out_size: Optional[Sequence[int]] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Compute normalised maps and whether each raw map was finite.

        The localizer runs in float32 with autocast off (see the class
        docstring). A map is invalid when its raw values, or its values
        after resizing, hold a NaN or inf; it is all zeros in the output.

        Args:
            model, inputs, feats, logits, targets: See :meth:`forward`.
            out_size (Sequence[int], optional): Output ``(H, W)``; defaults
                to the input's spatial size.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: Maps ``(N, T, H, W)`` in
            ``[0, 1]`` (float32) and a ``(N, T)`` bool tensor, False for the
            invalid maps.
        """
        if targets.dim() != 2 or targets.shape[0] != logits.shape[0]:
            raise ValueError(
                'targets must have shape (N, T) with N = '
                f'{logits.shape[0]}, got {tuple(targets.shape)}'
            )
        size = inputs.shape[-2:] if out_size is None else out_size
        with autocast_disabled(inputs.device.type):
            maps = self(
                model,
                to_float32(inputs),
                to_float32(feats),
                to_float32(logits),
                targets,
            ).float()
            valid = finite_maps(maps)
            maps = resize_maps(maps, size, self.upsample)
        valid &= finite_maps(maps)
        return normalize_maps(maps), valid

    def localize(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
        out_size: Optional[Sequence[int]] = None,
    ) -> torch.Tensor:
        """Compute maps resized to ``out_size`` and normalised to [0, 1].

        The maps of :meth:`localize_with_validity` (invalid maps are all
        zeros).

        Args:
            model, inputs, feats, logits, targets: See :meth:`forward`.
            out_size (Sequence[int], optional): Output ``(H, W)``; defaults
                to the input's spatial size.

        Returns:
            torch.Tensor: Maps of shape ``(N, T, H, W)`` in ``[0, 1]``.
        """
        return self.localize_with_validity(
            model, inputs, feats, logits, targets, out_size
        )[0]
