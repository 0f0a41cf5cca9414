"""Base class of localizers built from a layer's activation and gradients."""

from abc import abstractmethod
from typing import Optional, Tuple

import torch
import torch.nn as nn

from .base import BaseLocalizer
from .grad_capture import SCORES, LayerGradCapture, model_logits, select_scores


class BaseGradLocalizer(BaseLocalizer):
    """Base class of gradient-based localizers usable on any layer.

    :meth:`forward` re-runs the model with :class:`LayerGradCapture` (the
    features and logits computed by ``predict`` under ``no_grad`` carry no
    graph), takes the gradient of each target's score w.r.t. the activation
    ``Z`` of ``layer`` -- one backward pass per target column, through the
    part of the network above the layer only -- and turns ``(Z, dS/dZ)`` into
    maps with :meth:`maps_from_gradients`. Maps are built one target column
    at a time, so the memory of the gradients is that of one activation.

    The model runs in eval mode inside (restored afterwards): sample ``i``'s
    map never depends on the other samples of the batch. Parameters get no
    ``.grad``.

    Args:
        layer (str): Dotted name of the module whose output is used, e.g.
            ``'backbone.layer3'`` (ResNet), ``'backbone.Mixed_6e'``
            (InceptionV3), ``'backbone.stages.2'`` (TinyWSOLNet). A module
            returning a tuple (a backbone) gives its last item.
        score (str): The score differentiated: ``'logit'``, ``'log'`` (of
            the logit), ``'softmax'`` or ``'log_softmax'``. See
            :func:`select_scores`.
        guided_relu (bool): Guided backpropagation (only positive gradients
            through ``nn.ReLU`` modules).
        upsample (str): Interpolation to the input size. Defaults to
            ``'bilinear'`` (the BagCAMs code, for all gradient methods).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if not isinstance(layer, str) or not layer:
            raise ValueError(f'layer must be a module name, got {layer!r}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        self.layer = layer
        self.score = score
        self.guided_relu = guided_relu

    @abstractmethod
    def maps_from_gradients(
        self, acts: torch.Tensor, grads: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        """Compute raw maps from a layer's activation and gradients.

        Args:
            acts (torch.Tensor): Activation ``(N, C, h, w)``.
            grads (torch.Tensor): ``d score / d acts``, ``(N, T, C, h, w)``.
            scores (torch.Tensor): The scores ``(N, T)``.

        Returns:
            torch.Tensor: Raw maps ``(N, T, h, w)``.
        """

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw maps ``(N, T, h, w)`` for the target classes.

        ``feats`` and ``logits`` are not used: the forward pass is re-run
        with gradients from ``inputs``.
        """
        num = targets.shape[1]
        with LayerGradCapture(model, self.layer, self.guided_relu) as capture:
            out = capture.run(lambda: model_logits(model, inputs))
            scores = select_scores(out, targets, self.score)
            acts = capture.activation.float()
            if acts.dim() != 4:
                raise ValueError(
                    f'layer {self.layer!r} gives a tensor of '
                    f'shape {tuple(acts.shape)}; a spatial '
                    '(N, C, h, w) map is needed'
                )
            maps = []
            for t in range(num):
                grads = capture.gradients(
                    scores[:, t], retain_graph=t < num - 1
                ).float()
                maps.append(
                    self.maps_from_gradients(
                        acts, grads[:, None], scores[:, t : t + 1].detach()
                    )
                )
        if not maps:
            return acts.new_zeros((acts.shape[0], 0, *acts.shape[-2:]))
        return torch.cat(maps, dim=1)

    def extra_repr(self) -> str:
        return (
            f'layer={self.layer!r}, score={self.score!r}, '
            f'guided_relu={self.guided_relu}, '
            f'upsample={self.upsample!r}'
        )


class ReLUGradLocalizer(BaseGradLocalizer):
    """A gradient localizer whose channel sum may go through a ReLU.

    The common frame of :class:`GradCAM`, :class:`GradCAMPlusPlus` and
    :class:`PCS`: their map functions take a ``relu`` flag, and the BagCAMs
    code (used for the BagCAMs paper's Tables 4-8) backpropagates the target
    logit without guided ReLU, applies the ReLU and upsamples bilinearly --
    the defaults here.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'``.
        relu (bool): Apply ReLU to the map. Defaults to True.
        score (str): Score differentiated. Defaults to ``'logit'``.
        guided_relu (bool): Guided backpropagation. Defaults to False.
        upsample (str): Defaults to ``'bilinear'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        relu: bool = True,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            layer=layer,
            score=score,
            guided_relu=guided_relu,
            upsample=upsample,
            init_cfg=init_cfg,
        )
        self.relu = relu

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, relu={self.relu}'
