"""Combinational class activation maps (Yang et al., WACV 2020)."""

from typing import Optional, Tuple, Union

import torch
import torch.nn as nn

from mmwsol.registry import MODELS, TASK_UTILS

from .base import BaseLocalizer
from .cam import cam_style_head
from .combinations import BaseCombination


def target_first_ranks(
    logits: torch.Tensor, targets: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """Rank of every class, by descending logit, for each target.

    Ties are broken by the class index (stable sort). With ``targets``, each
    target class is moved to rank 0 and the classes the model ranked above it
    move down by one: the ranking is ``[t] + (the other classes by score)``.
    For the model's top-1 class this is the model's own ranking.

    Args:
        logits (torch.Tensor): ``(N, K)`` class scores.
        targets (torch.Tensor, optional): ``(N, T)`` target classes. None
            returns the model's ranking once, as ``(N, 1, K)``.

    Returns:
        torch.Tensor: ``(N, T, K)`` long tensor: the 0-based rank of class
        ``c`` in the ranking used for target ``t``.
    """
    n, num_classes = logits.shape
    order = torch.sort(
        logits.detach(), dim=1, descending=True, stable=True
    ).indices
    arange = torch.arange(num_classes, device=logits.device)
    ranks = torch.empty_like(order).scatter_(
        1, order, arange.expand(n, -1).contiguous()
    )
    ranks = ranks[:, None, :]  # (N, 1, K)
    if targets is None:
        return ranks
    target_rank = ranks[:, 0].gather(1, targets)[..., None]  # (N, T, 1)
    is_target = arange[None, None, :] == targets[..., None]  # (N, T, K)
    shifted = torch.where(ranks < target_rank, ranks + 1, ranks)
    return torch.where(is_target, torch.zeros_like(shifted), shifted)


def combinational_class_activation_maps(
    features: torch.Tensor,
    weights: torch.Tensor,
    logits: torch.Tensor,
    targets: torch.Tensor,
    rank_weights: torch.Tensor,
    clamp_negative: bool = False,
    target_first: bool = True,
    bias: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Compute ``M = sum_k g(k) * M^{c_k}`` with a single map per target.

    Because a CAM is linear in the class weight vector,
    ``sum_k g(k) * (w_{c_k} . F) = (sum_k g(k) * w_{c_k}) . F``: the ranked
    class weight vectors are combined first (``O(K * C)``), then one map is
    computed (``O(HW * C)``), instead of ``K`` maps (``O(K * HW * C)``).

    Args:
        features (torch.Tensor): Feature maps ``(N, C, h, w)``.
        weights (torch.Tensor): Classifier weights ``(K, C)``.
        logits (torch.Tensor): Class scores ``(N, K)`` that rank the classes.
        targets (torch.Tensor): Target classes ``(N, T)``.
        rank_weights (torch.Tensor): ``g(k)`` for ranks ``1 .. K``, ``(K, )``.
        clamp_negative (bool): Clamp the class weights to be non-negative
            before combining (negative weight clamping). Defaults to False.
        target_first (bool): Rank each target first and the other classes
            by score after it (see :func:`target_first_ranks`); False uses
            the model's ranking for every target (the class-agnostic map of
            the paper). Defaults to True.
        bias (torch.Tensor, optional): Classifier bias ``(K, )``: each
            class map includes its bias, so ``sum_k g(k) * b_{c_k}`` is
            added. Defaults to None (no bias).

    Returns:
        torch.Tensor: Raw (unnormalised) maps ``(N, T, h, w)``.
    """
    num_classes, channels = weights.shape
    if features.shape[1] != channels:
        raise ValueError(
            f'features have {features.shape[1]} channels but the '
            f'classifier expects {channels}'
        )
    if logits.shape != (features.shape[0], num_classes):
        raise ValueError(
            f'logits must have shape (N, K) = '
            f'{(features.shape[0], num_classes)}, got '
            f'{tuple(logits.shape)}'
        )
    if rank_weights.shape != (num_classes,):
        raise ValueError(
            f'rank_weights must have shape ({num_classes},), '
            f'got {tuple(rank_weights.shape)}'
        )
    ranks = target_first_ranks(logits, targets if target_first else None)
    coeffs = rank_weights.to(features)[ranks]  # (N, T or 1, K)
    if not target_first:
        coeffs = coeffs.expand(-1, targets.shape[1], -1)
    w = weights.clamp(min=0) if clamp_negative else weights
    combined = torch.einsum('ntk,kc->ntc', coeffs, w.to(features.dtype))
    maps = torch.einsum('ntc,nchw->nthw', combined, features)
    if bias is not None:
        if bias.shape != (num_classes,):
            raise ValueError(
                f'bias must have shape ({num_classes},), got '
                f'{tuple(bias.shape)}'
            )
        shift = torch.einsum('ntk,k->nt', coeffs, bias.to(features.dtype))
        maps = maps + shift[..., None, None]
    return maps


@MODELS.register_module()
class CCAM(BaseLocalizer):
    """Combinational class activation maps.

    The classes are ranked by their logits; the raw (unnormalised) class
    activation maps are summed with the weights ``g(rank)`` of a combination
    function, and the sum is resized and min-max normalised once by
    :meth:`localize`. It is a test-time method: a CAM checkpoint gives its
    CCAM by changing only the localizer.

    **Target classes.** The paper's map is class-agnostic (every class takes
    part, ranked by score). mmwsol asks a localizer for the map of given
    target classes (the GT class for GT-known localization, the top-k
    predicted classes for top-k localization). With ``target_first=True``
    (default) the ranking used for target ``t`` is ``t`` first, then the other
    classes by score: for the predicted top-1 class (and for the GT class of
    a correctly classified image) this is exactly the paper's map; for the
    GT class of a misclassified image it adds the GT map instead of the
    predicted one, like the authors' top-i & bottom-j evaluation code. With
    ``target_first=False`` every target gets the same class-agnostic map
    (the authors' polynomial evaluation code). With
    ``TopBottom(top=1, bottom=0)`` and ``target_first=True`` the map is the
    target's CAM, exactly.

    Needs a head with ``cam_features(feats)`` and ``class_weights()`` (e.g.
    :class:`CAMHead`), and ``class_bias()`` for ``with_bias``.

    ``with_bias`` and ``relu`` are those of :class:`CAM`: each class map
    includes its bias (a constant shift of the combined map), and the
    combined map is clipped at 0 (e.g. as SCG's coarse map, where SPA's
    authors use ``ReLU(class channel)``).

    Args:
        combination (dict | BaseCombination): The combination function,
            built from :data:`mmwsol.registry.TASK_UTILS`. Defaults to
            ``dict(type='Polynomial', degree=2)`` (the paper's choice for
            CUB; it uses ``TopBottom(top=1, bottom=10)`` on ImageNet).
        target_first (bool): See above. Defaults to True.
        clamp_negative_weights (bool): Negative weight clamping: each class
            map uses ``max(w, 0)`` (classification is unchanged).
            Defaults to False.
        with_bias (bool): Include the classifier's bias. Defaults to False.
        relu (bool): Clip the combined map at 0. Defaults to False.
        upsample (str): Interpolation to the input size. Defaults to
            ``'bicubic'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        combination: Union[dict, BaseCombination] = dict(
            type='Polynomial', degree=2
        ),
        target_first: bool = True,
        clamp_negative_weights: bool = False,
        with_bias: bool = False,
        relu: bool = False,
        upsample: str = 'bicubic',
        init_cfg: Optional[dict] = None,
    ):
        super().__init__(upsample=upsample, init_cfg=init_cfg)
        if not isinstance(combination, BaseCombination):
            combination = TASK_UTILS.build(combination)
        if not isinstance(combination, BaseCombination):
            raise TypeError(
                'combination must build a BaseCombination, got '
                f'{type(combination).__name__}'
            )
        self.combination = combination
        self.target_first = target_first
        self.clamp_negative_weights = clamp_negative_weights
        self.with_bias = with_bias
        self.relu = relu

    def forward(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Tuple[torch.Tensor],
        logits: torch.Tensor,
        targets: torch.Tensor,
    ) -> torch.Tensor:
        """Return raw CCAMs ``(N, T, h, w)`` for the target classes."""
        head = cam_style_head(model, 'CCAM', self.with_bias)
        weights = head.class_weights()
        rank_weights = self.combination.combination_weights(weights.shape[0])
        maps = combinational_class_activation_maps(
            head.cam_features(feats),
            weights,
            logits,
            targets,
            rank_weights,
            self.clamp_negative_weights,
            self.target_first,
            head.class_bias() if self.with_bias else None,
        )
        return maps.clamp(min=0) if self.relu else maps

    def extra_repr(self) -> str:
        return (
            f'combination={self.combination!r}, target_first='
            f'{self.target_first}, clamp_negative_weights='
            f'{self.clamp_negative_weights}, with_bias={self.with_bias}, '
            f'relu={self.relu}'
        )
