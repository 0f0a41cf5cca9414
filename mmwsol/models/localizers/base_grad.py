"""Base class of localizers built from a layer's activation and gradients."""

from abc import abstractmethod
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Tuple

import torch
import torch.nn as nn

from .base import BaseLocalizer
from .grad_capture import SCORES, LayerGradCapture, model_logits, select_scores


def _detach(feats: Any) -> Any:
    """Detach a tensor or the tensors of a (nested) tuple / list."""
    if isinstance(feats, torch.Tensor):
        return feats.detach()
    if isinstance(feats, (tuple, list)):
        return tuple(_detach(f) for f in feats)
    return feats


class BaseGradLocalizer(BaseLocalizer):
    """Base class of gradient-based localizers usable on any layer.

    :meth:`forward` runs the model with :class:`LayerGradCapture`, takes
    the gradients of the target scores w.r.t. the activation ``Z`` of
    ``layer`` -- through the part of the network above the layer only; all
    target columns in one batched backward pass (see
    :meth:`LayerGradCapture.gradients` and ``targets_per_pass``) -- and
    turns ``(Z, dS/dZ)`` into maps with :meth:`maps_from_gradients`.

    **One forward pass.** Called on its own, :meth:`forward` re-runs the
    model (features and logits computed under ``no_grad`` carry no graph).
    ``WSOLClassifier.predict`` avoids that second pass: it computes its
    scores inside :meth:`shared_forward`, whose forward pass records the
    graph above the layer, and :meth:`forward` reuses it.

    The model runs in eval mode inside (restored afterwards): sample ``i``'s
    map never depends on the other samples of the batch. Parameters get no
    ``.grad``.

    Args:
        layer (str): Dotted name of the module whose output is used, e.g.
            ``'backbone.layer3'`` (ResNet), ``'backbone.Mixed_6e'``
            (InceptionV3), ``'backbone.stages.2'`` (TinyWSOLNet), any
            transformer block (its tokens ``(N, L, C)`` become a map). A
            tuple output (a backbone) gives its last tensor, a
            ``ModuleList`` / ``Sequential`` stage its last module's output
            (see :mod:`~mmwsol.models.localizers.layer_output`).
        score (str): The score differentiated: ``'logit'``, ``'log'`` (of
            the logit), ``'softmax'`` or ``'log_softmax'``. See
            :func:`select_scores`.
        guided_relu (bool): Guided backpropagation (only positive gradients
            through ``nn.ReLU`` modules).
        upsample (str): Interpolation to the input size. Defaults to
            ``'bilinear'`` (the BagCAMs code, for all gradient methods).
        targets_per_pass (int, optional): At most this many target columns
            per backward pass (the batched pass holds the graph above the
            layer once per column: bound it for big models on small GPUs).
            Defaults to None: all columns in one pass on an accelerator, one
            column per pass on the CPU, where the batched pass measured
            ~15 % slower than the loop (docs/benchmarks.md).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        targets_per_pass: Optional[int] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if not isinstance(layer, str) or not layer:
            raise ValueError(f'layer must be a module name, got {layer!r}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got {score!r}')
        if targets_per_pass is not None and int(targets_per_pass) < 1:
            raise ValueError(
                f'targets_per_pass={targets_per_pass} must be >= 1 or None'
            )
        self.layer = layer
        self.score = score
        self.guided_relu = guided_relu
        self.targets_per_pass = targets_per_pass
        self._shared: Optional[Tuple[LayerGradCapture, torch.Tensor]] = None

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

    @contextmanager
    def shared_forward(
        self, model: nn.Module, inputs: torch.Tensor
    ) -> Iterator[Tuple[Tuple[torch.Tensor, ...], torch.Tensor]]:
        """Run the classifier once for both its scores and the maps.

        Inside the ``with`` block, :meth:`forward` (hence :meth:`localize`)
        on the same batch takes its gradients from this forward pass instead
        of running the model again. The pass is the one of
        :class:`LayerGradCapture`: eval mode, float32 with autocast off, no
        graph below the layer.

        Args:
            model (nn.Module): The classifier (``extract_feat`` + ``head``).
            inputs (torch.Tensor): Input batch ``(N, 3, H, W)``.

        Yields:
            tuple: The features (a tuple, as ``extract_feat`` returns them)
            and the logits ``(N, K)``, both detached.
        """
        store = {}

        def run() -> torch.Tensor:
            store['feats'] = model.extract_feat(inputs)
            return model.head(store['feats'])

        with LayerGradCapture(model, self.layer, self.guided_relu) as capture:
            logits = capture.run(run)
            self._shared = (capture, logits)
            try:
                feats = _detach(store['feats'])
                yield feats, logits.detach()
            finally:
                self._shared = None

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw maps ``(N, T, h, w)`` for the target classes.

        ``feats`` and ``logits`` are not used: the gradients come from the
        forward pass of :meth:`shared_forward` when one is open, else from
        a new forward pass with gradients from ``inputs``.
        """
        if self._shared is not None:
            capture, out = self._shared
            if out.shape[0] != inputs.shape[0]:
                raise ValueError(
                    'localize() inside shared_forward() must get the same '
                    f'batch: {inputs.shape[0]} inputs, {out.shape[0]} logits'
                )
            return self._maps(capture, out, targets)
        with LayerGradCapture(model, self.layer, self.guided_relu) as capture:
            out = capture.run(lambda: model_logits(model, inputs))
            return self._maps(capture, out, targets)

    def _maps(
        self,
        capture: LayerGradCapture,
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Maps ``(N, T, h, w)`` from a capture's forward pass: batched
        backward passes of at most ``targets_per_pass`` columns."""
        scores = select_scores(logits, targets, self.score)
        acts = capture.activation.float()
        if acts.dim() != 4:
            raise ValueError(
                f'layer {self.layer!r} gives a tensor of '
                f'shape {tuple(acts.shape)}; a spatial (N, C, h, w) map '
                'or tokens (N, L, C) are needed (a pooled output? name '
                'a layer before the pooling)'
            )
        num = scores.shape[1]
        step = self.targets_per_pass or (
            1 if acts.device.type == 'cpu' else max(num, 1)
        )
        maps = []
        for start in range(0, num, step):
            cols = scores[:, start : start + step]
            grads = capture.gradients(cols, retain_graph=True).float()
            maps.append(self.maps_from_gradients(acts, grads, cols.detach()))
        if not maps:
            return acts.new_zeros((acts.shape[0], 0, *acts.shape[-2:]))
        return torch.cat(maps, dim=1)

    def extra_repr(self) -> str:
        return (
            f'layer={self.layer!r}, score={self.score!r}, '
            f'guided_relu={self.guided_relu}, '
            f'upsample={self.upsample!r}, '
            f'targets_per_pass={self.targets_per_pass}'
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
        targets_per_pass (int, optional): Target columns per backward
            pass; None (default): see :class:`BaseGradLocalizer`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        relu: bool = True,
        score: str = 'logit',
        guided_relu: bool = False,
        upsample: str = 'bilinear',
        targets_per_pass: Optional[int] = None,
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(
            layer=layer,
            score=score,
            guided_relu=guided_relu,
            upsample=upsample,
            targets_per_pass=targets_per_pass,
            init_cfg=init_cfg,
        )
        self.relu = relu

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, relu={self.relu}'
