"""Capture a named layer's activation and the gradients of class scores.

Gradient-based localizers (GradCAM, GradCAM++, PCS, BagCAMs) need, for one
layer of any model, its activation ``Z`` and ``dS / dZ`` for one target score
``S`` per sample. :class:`LayerGradCapture` provides both with hooks that
never outlive it:

- a forward hook on the layer stores its output as a fresh leaf tensor
  (``Z.detach().requires_grad_()``) and passes a clone of it downstream.
  Gradients are taken with ``torch.autograd.grad`` w.r.t. that leaf: the
  backward pass stops at the layer, and no parameter gets a ``.grad``. The
  clone keeps ``Z`` intact when the next module works in place (e.g. an
  ``nn.ReLU(inplace=True)`` right after a convolution);
- the forward pass runs under ``no_grad`` up to the layer and with grad
  enabled after it (the hook switches it on), so no autograd graph is kept
  for the part of the network below the layer. This also makes it work
  inside MMEngine's val/test loops, which run under ``no_grad``;
- the model is put in eval mode (BatchNorm in train mode would mix the
  samples of the batch, so sample ``i``'s map would depend on the others, and
  it would update the running statistics) and every module's ``training``
  flag is restored on exit, exactly as it was;
- ``guided_relu=True`` makes every ``nn.ReLU`` module pass only positive
  gradients backward (guided backpropagation). It is done with a tensor hook
  on each ReLU output, registered by a forward hook, not with module backward
  hooks: ``register_full_backward_hook`` wraps the module's outputs in a
  view-producing autograd function, and an in-place ReLU (the default in
  mmcv's ``ConvModule`` and mmpretrain's ResNet) then fails or is skipped.
  A tensor hook on the output of an in-place op receives the gradient of
  that op's output even if the tensor is modified in place later. ReLUs
  applied functionally (``F.relu``) are not seen.

The grad mode, hooks and captured tensors are restored/removed on exit, also
when an error is raised inside the ``with`` block.

Example:
    >>> with LayerGradCapture(model, 'backbone.layer3') as capture:
    ...     logits = capture.run(lambda: model(inputs, mode='tensor'))
    ...     scores = select_scores(logits, targets, 'logit')  # (N, T)
    ...     acts = capture.activation                          # (N, C, h, w)
    ...     grads = capture.gradients(scores)   # (N, T, C, h, w), one pass
"""

from typing import Any, Callable, ContextManager, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .functional import autocast_disabled, eval_mode
from .layer_output import (
    TokenMapper,
    find_token_owner,
    resolve_layer,
    select_output,
)

SCORES = ('logit', 'log', 'softmax', 'log_softmax')


def select_scores(
    logits: torch.Tensor, targets: torch.Tensor, score: str = 'logit'
) -> torch.Tensor:
    """Pick the score of each target class that gradients are taken of.

    Args:
        logits (torch.Tensor): Class logits ``(N, K)``.
        targets (torch.Tensor): Target classes ``(N, T)``.
        score (str): ``'logit'`` (the class logit ``s_k``), ``'log'``
            (``log s_k`` of the logit, as the BagCAMs code does: its gradient
            is ``(d s_k / dZ) / s_k``, finite for negative logits although
            the value is NaN), ``'softmax'`` or ``'log_softmax'``.

    Returns:
        torch.Tensor: Scores ``(N, T)``.
    """
    if score not in SCORES:
        raise ValueError(f'score must be one of {SCORES}, got {score!r}')
    if targets.dim() != 2 or targets.shape[0] != logits.shape[0]:
        raise ValueError(
            'targets must have shape (N, T) with N = '
            f'{logits.shape[0]}, got {tuple(targets.shape)}'
        )
    logits = logits.float()
    if score == 'softmax':
        logits = F.softmax(logits, dim=1)
    elif score == 'log_softmax':
        logits = F.log_softmax(logits, dim=1)
    # a copy: ``targets`` may be an inference-mode tensor
    selected = logits.gather(1, targets.to(logits.device).clone())
    return selected.log() if score == 'log' else selected


def check_gradient_shapes(acts: torch.Tensor, grads: torch.Tensor) -> None:
    """Check ``acts`` is ``(N, C, h, w)`` and ``grads`` ``(N, T, C, h, w)``.

    Args:
        acts (torch.Tensor): Activation.
        grads (torch.Tensor): Gradients, one per target.
    """
    if (
        acts.dim() != 4
        or grads.dim() != 5
        or grads.shape[:1] + grads.shape[2:] != acts.shape
    ):
        raise ValueError(
            'expected acts (N, C, h, w) and grads '
            f'(N, T, C, h, w), got {tuple(acts.shape)} and '
            f'{tuple(grads.shape)}'
        )


def _guide_relu_hook(
    module: nn.Module, args: Any, output: torch.Tensor
) -> None:
    """Forward hook on a ReLU: only positive gradients flow back."""
    if isinstance(output, torch.Tensor) and output.requires_grad:
        output.register_hook(lambda grad: grad.clamp(min=0))


class LayerGradCapture:
    """Context manager giving a layer's activation and score gradients.

    See the module docstring for how it works. Use :meth:`run` once to run
    the forward pass, then :meth:`gradients` for all target columns at once
    (one batched backward pass) or one column at a time.

    Args:
        model (nn.Module): The model (eval mode is forced inside).
        layer (str): Dotted name of the module whose output is captured,
            e.g. ``'backbone.layer3'``. It must run exactly once per forward
            pass. A ``ModuleList`` / ``Sequential`` stage stands for its last
            module; of a tuple or list output (a backbone) the last tensor
            is captured; token sequences ``(N, L, C)`` become maps. See
            :mod:`~mmwsol.models.localizers.layer_output`.
        guided_relu (bool): Pass only positive gradients back through every
            ``nn.ReLU`` module (guided backpropagation). Defaults to False.
    """

    def __init__(
        self, model: nn.Module, layer: str, guided_relu: bool = False
    ):
        self.model = model
        self.layer = layer
        self.guided_relu = guided_relu
        self.module_name, self.module = resolve_layer(model, layer)
        self._owner = find_token_owner(model, self.module_name)[1]
        self._input_hw: Optional[Tuple[int, int]] = None
        self._mapper: Optional[TokenMapper] = None
        self._handles: List[Any] = []
        self._eval: Optional[ContextManager] = None
        self._grad_mode: Optional[bool] = None
        self._inference: Optional[torch.inference_mode] = None
        self._calls = 0
        self._activation: Optional[torch.Tensor] = None

    # ------------------------------------------------------------- context
    def __enter__(self) -> 'LayerGradCapture':
        # autograd is off under ``torch.inference_mode``: leave it inside
        self._inference = torch.inference_mode(False)
        self._inference.__enter__()
        self._grad_mode = torch.is_grad_enabled()
        try:
            self._eval = eval_mode(self.model)
            self._eval.__enter__()
            self._handles.append(
                self.module.register_forward_hook(self._capture_hook)
            )
            if self._owner is not None:
                self._handles.append(
                    self._owner.register_forward_pre_hook(self._input_hook)
                )
            if self.guided_relu:
                for m in self.model.modules():
                    if isinstance(m, nn.ReLU):
                        self._handles.append(
                            m.register_forward_hook(_guide_relu_hook)
                        )
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._restore()

    def _restore(self) -> None:
        """Remove the hooks, drop the captures, restore modes."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._eval is not None:
            self._eval.__exit__(None, None, None)
        self._eval = None
        if self._grad_mode is not None:
            torch.set_grad_enabled(self._grad_mode)
        self._grad_mode = None
        if self._inference is not None:
            self._inference.__exit__(None, None, None)
        self._inference = None
        self._activation = None
        self._mapper = None
        self._calls = 0

    def _name(self) -> str:
        """The layer's name for messages (and the module it stands for)."""
        if self.module_name == self.layer:
            return repr(self.layer)
        return f'{self.layer!r} (its last module {self.module_name!r})'

    # --------------------------------------------------------------- hooks
    def _input_hook(self, module: nn.Module, args: Any) -> None:
        """Record the input size of the transformer owning the layer."""
        if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
            self._input_hw = tuple(args[0].shape[-2:])

    def _capture_hook(self, module: nn.Module, args: Any, output: Any) -> Any:
        self._calls += 1
        if self._calls > 1:
            raise RuntimeError(
                f'layer {self._name()} ran more than once in one forward '
                'pass (a shared module?); capture a module that runs once'
            )
        try:
            tensor, rebuild, grid_hw = select_output(output, args)
            self._mapper = TokenMapper(
                tensor, grid_hw, self._owner, self._input_hw
            )
        except (TypeError, ValueError) as err:
            raise type(err)(f'layer {self._name()}: {err}') from None
        leaf = tensor.detach().requires_grad_(True)
        self._activation = leaf
        # Everything after the layer records the graph.
        torch.set_grad_enabled(True)
        return rebuild(leaf.clone())

    # ----------------------------------------------------------------- API
    def run(self, forward: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Run the model's forward pass and capture the layer.

        The forward pass (and the backward passes of :meth:`gradients`)
        run with autocast off, in the precision of the model's parameters
        (float32 under ``--amp``): gradients of float16 scores move the maps.

        Args:
            forward (Callable): Runs the model and returns the logits
                ``(N, K)``.

        Returns:
            torch.Tensor: The logits, differentiable w.r.t. the activation.
            Grad mode stays enabled until the context exits, so scores
            computed from them are differentiable too.
        """
        if self._grad_mode is None:
            raise RuntimeError('use LayerGradCapture as a context manager')
        self._calls = 0
        self._activation = None
        self._mapper = None
        self._input_hw = None
        torch.set_grad_enabled(False)
        with autocast_disabled():
            logits = forward()
        torch.set_grad_enabled(True)
        if self._activation is None:
            raise RuntimeError(
                f'layer {self._name()} did not run in the forward pass'
            )
        if not (isinstance(logits, torch.Tensor) and logits.requires_grad):
            raise RuntimeError(
                f'the output does not depend on layer '
                f'{self.layer!r} through differentiable ops'
            )
        return logits

    @property
    def activation(self) -> torch.Tensor:
        """The captured activation ``(N, C, h, w)`` (detached; tokens
        ``(N, L, C)`` reshaped to their grid)."""
        if self._activation is None:
            raise RuntimeError('call run() first')
        return self._mapper(self._activation.detach())

    def gradients(
        self, scores: torch.Tensor, retain_graph: bool = True
    ) -> torch.Tensor:
        """Gradients of per-sample scores w.r.t. the activation.

        With samples processed independently (eval mode), the gradient of
        ``scores[:, t].sum()`` holds ``d scores[i, t] / d Z[i]`` in row
        ``i``. For ``(N, T)`` scores the ``T`` columns are differentiated
        in one batched backward pass (``torch.autograd.grad`` with
        ``is_grads_batched=True``: the ``T`` vector-Jacobian products run
        as one batch of ``N x T``), not in ``T`` passes.

        Args:
            scores (torch.Tensor): ``(N, )`` or ``(N, T)`` scores.
            retain_graph (bool): Keep the graph for another call. Pass False
                on the last call to free it early. Defaults to True.

        Returns:
            torch.Tensor: Gradients ``(N, C, h, w)`` for ``(N, )`` scores,
            ``(N, T, C, h, w)`` for ``(N, T)`` scores.
        """
        if self._activation is None:
            raise RuntimeError('call run() first')
        acts = self._activation
        if scores.dim() not in (1, 2) or scores.shape[0] != acts.shape[0]:
            raise ValueError(
                'scores must have shape (N, ) or (N, T) with N = '
                f'{acts.shape[0]}, got {tuple(scores.shape)}'
            )
        if scores.dim() == 1:
            grad = self._grad(scores.sum(), None, retain_graph, False)
            return self._mapper(grad)
        num = scores.shape[1]
        if num == 0:
            shape = self.activation.shape
            return acts.new_zeros((shape[0], 0, *shape[1:]))
        if num == 1:
            return self.gradients(scores[:, 0], retain_graph)[:, None]
        # one-hot cotangents: batch t selects column t of every sample
        eye = torch.eye(num, dtype=scores.dtype, device=scores.device)
        cotangents = eye[:, None, :].expand(num, *scores.shape)
        grads = self._grad(scores, cotangents, retain_graph, True)
        # tokens: the gradient w.r.t. the map is the reshaped gradient
        return self._mapper(grads.transpose(0, 1), lead=2)

    def _grad(
        self,
        output: torch.Tensor,
        grad_outputs: Optional[torch.Tensor],
        retain_graph: bool,
        batched: bool,
    ) -> torch.Tensor:
        """``torch.autograd.grad`` of ``output`` w.r.t. the activation,
        zeros when the output does not depend on it."""
        with autocast_disabled():
            (grad,) = torch.autograd.grad(
                output,
                self._activation,
                grad_outputs=grad_outputs,
                retain_graph=retain_graph,
                allow_unused=True,
                is_grads_batched=batched,
            )
        if grad is None:
            batch = (grad_outputs.shape[0],) if batched else ()
            grad = self._activation.new_zeros(batch + self._activation.shape)
        return grad.detach()


def model_logits(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Logits of a classifier: ``head(extract_feat(inputs))`` when the model
    has both (mmpretrain classifiers), else ``model(inputs)``."""
    if (
        hasattr(model, 'extract_feat')
        and getattr(model, 'head', None) is not None
    ):
        return model.head(model.extract_feat(inputs))
    return model(inputs)


def capture_layer_gradients(
    model: nn.Module,
    inputs: torch.Tensor,
    layer: str,
    targets: torch.Tensor,
    score: str = 'logit',
    guided_relu: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Activation of ``layer`` and gradients of every target's score.

    A convenience wrapper of :class:`LayerGradCapture` (one forward pass,
    one batched backward pass for the ``T`` targets through the part of the
    network above the layer).

    Args:
        model (nn.Module): The classifier.
        inputs (torch.Tensor): Input batch ``(N, 3, H, W)``.
        layer (str): Dotted module name.
        targets (torch.Tensor): Target classes ``(N, T)``.
        score (str): See :func:`select_scores`. Defaults to ``'logit'``.
        guided_relu (bool): Guided backpropagation through ``nn.ReLU``
            modules. Defaults to False.

    Returns:
        tuple[torch.Tensor]: The activation ``(N, C, h, w)``, the gradients
        ``(N, T, C, h, w)`` and the scores ``(N, T)``, all detached.
    """
    with LayerGradCapture(model, layer, guided_relu) as capture:
        logits = capture.run(lambda: model_logits(model, inputs))
        scores = select_scores(logits, targets, score)
        grads = capture.gradients(scores, retain_graph=False)
        acts = capture.activation
    return acts, grads, scores.detach()
