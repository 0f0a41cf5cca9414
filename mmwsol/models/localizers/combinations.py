"""Combination functions of CCAM (Yang et al., WACV 2020, section 3.2).

A combination function gives the weight ``g(k)`` of the class activation map
of the class ranked ``k``-th by the classifier (``k = 1`` is the most
probable class, ``k = K`` the least probable one). The CCAM map is
``sum_k g(k) * M^{c_k}`` (paper eq. 4).

Each function is a small class registered in :data:`mmwsol.registry.
TASK_UTILS`, so that a config selects it inside the localizer::

    localizer=dict(type='CCAM', combination=dict(type='TopBottom', top=1,
                                                 bottom=10))

and each class is backed by a pure torch function returning the ``(K, )``
weight vector (:func:`top_bottom_weights`, :func:`polynomial_weights`).
"""

from abc import ABCMeta, abstractmethod
from typing import Optional, Sequence

import torch

from mmwsol.registry import TASK_UTILS


def top_bottom_weights(
    num_classes: int, top: int = 1, bottom: int = 0
) -> torch.Tensor:
    """Weights of the top-i & bottom-j combination (paper eq. 6).

    ``g(k) = 1`` for the ``top`` most probable classes (``k <= i``),
    ``g(k) = -1`` for the ``bottom`` least probable ones (``k > K - j``; the
    paper prints ``k >= j``, which only makes sense read as "the last ``j``
    ranks", as its text and the authors' ``top-1 & bottom-1`` code, the first
    map minus the ``K``-th map, say) and 0 elsewhere. ``top=1, bottom=0`` is
    plain CAM.

    Args:
        num_classes (int): Number of classes ``K``.
        top (int): Number ``i`` of top-ranked maps added. Defaults to 1.
        bottom (int): Number ``j`` of bottom-ranked maps subtracted.
            Defaults to 0.

    Returns:
        torch.Tensor: ``(K, )`` float32 weights, index ``k - 1`` for rank
        ``k``.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes={num_classes} must be >= 1')
    if top < 0 or bottom < 0:
        raise ValueError(f'top={top} and bottom={bottom} must be >= 0')
    if top + bottom > num_classes:
        raise ValueError(
            f'top-{top} & bottom-{bottom} needs at least {top + bottom} '
            f'classes, but there are only {num_classes}: the top and bottom '
            'maps would overlap. Choose top + bottom <= num_classes.'
        )
    weights = torch.zeros(num_classes)
    weights[:top] = 1.0
    if bottom > 0:
        weights[num_classes - bottom :] = -1.0
    return weights


def polynomial_weights(
    num_classes: int,
    degree: int = 2,
    num_foreground: Optional[float] = None,
    variant: str = 'paper',
) -> torch.Tensor:
    """Weights of the polynomial combination of degree ``eta`` (paper eq. 5).

    ``variant='paper'`` is eq. 5 with ``p`` foreground maps::

        g(k) = ((k - p) / (1 - p)) ** eta                    if k <= p
        g(k) = (-1) ** (eta + 1) * ((k - p) / (p - K)) ** eta  if k > p

    so ``g(1) = 1``, ``g(K) = -1`` and ``|g|`` falls to 0 at ``k = p``: the
    top maps are added and the bottom maps subtracted, for every ``eta``.
    With the paper's default ``p = (K + 1) / 2`` both halves have the same
    length ``p - 1 = K - p`` and eq. 5 is the odd function
    ``g = sign(x) * |x| ** eta`` of ``x = linspace(1, -1, K)``.

    ``variant='reference'`` is what the authors' code computes for the
    quadratic case: ``linspace(1, 0, n) ** eta`` for the ``n`` top ranks and
    ``-linspace(0, 1, K - n) ** eta`` for the others, with
    ``n = num_foreground`` (an int; default ``K // 2``, the code's 100 of
    200). It is eq. 5 with ``p = n`` for the top part and ``p = n + 1`` for
    the bottom part: two zero weights in the middle instead of none. The two
    differ by less than ``1 / (K / 2 - 1)`` per weight (0.01 for CUB); the
    difference only matters for small ``K``. (The authors' *linear* code,
    ``linspace(1, -1, K)``, is exactly eq. 5.) A part of length 1 gets the
    weight ``+1`` (top) or ``-1`` (bottom), where ``linspace`` would give
    1 and 0.

    ``eta = 0`` (constant) gives ``+1`` for ``k <= p`` and ``-1`` above.

    Args:
        num_classes (int): Number of classes ``K``.
        degree (int): The degree ``eta >= 0``. Defaults to 2 (quadratic).
        num_foreground (float, optional): ``p``, the number of foreground
            maps (``1 <= p <= K``; an int for ``'reference'``). Defaults to
            ``(K + 1) / 2`` (``'paper'``) or ``K // 2`` (``'reference'``).
        variant (str): ``'paper'`` (eq. 5) or ``'reference'`` (the authors'
            code). Defaults to ``'paper'``.

    Returns:
        torch.Tensor: ``(K, )`` float32 weights, index ``k - 1`` for rank
        ``k``.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes={num_classes} must be >= 1')
    if degree < 0:
        raise ValueError(f'degree={degree} must be >= 0')
    if variant not in ('paper', 'reference'):
        raise ValueError(
            f"variant must be 'paper' or 'reference', got {variant!r}"
        )
    K = num_classes
    if K == 1:
        return torch.ones(1)
    k = torch.arange(1, K + 1, dtype=torch.float64)
    if variant == 'reference':
        n = K // 2 if num_foreground is None else num_foreground
        if int(n) != n or not 1 <= n <= K:
            raise ValueError(
                f'num_foreground={num_foreground} must be an '
                f'integer in [1, {K}] for the reference variant'
            )
        n = int(n)
        top = (
            torch.linspace(1.0, 0.0, n, dtype=torch.float64)
            if n > 1
            else torch.ones(1, dtype=torch.float64)
        )
        bottom = (
            torch.linspace(0.0, 1.0, K - n, dtype=torch.float64)
            if K - n > 1
            else torch.ones(K - n, dtype=torch.float64)
        )
        weights = torch.cat([top.pow(degree), -bottom.pow(degree)])
        return weights.float()
    p = (K + 1) / 2 if num_foreground is None else float(num_foreground)
    if not 1 <= p <= K:
        raise ValueError(
            f'num_foreground={num_foreground} must be in [1, {K}]'
        )
    # The limits 1 at k = 1 (p = 1) and -1 at k = K (p = K) are kept where
    # eq. 5 divides by zero.
    x_top = (k - p) / (1 - p) if p > 1 else torch.ones_like(k)
    x_bottom = (k - p) / (p - K) if p < K else -torch.ones_like(k)
    weights = torch.where(
        k <= p, x_top.pow(degree), (-1) ** (degree + 1) * x_bottom.pow(degree)
    )
    return weights.float()


class BaseCombination(metaclass=ABCMeta):
    """Base class of CCAM combination functions.

    Subclasses implement :meth:`combination_weights`; calling the object is
    the same.
    """

    @abstractmethod
    def combination_weights(self, num_classes: int) -> torch.Tensor:
        """Return ``g(k)`` for the ranks ``k = 1 .. K``.

        Args:
            num_classes (int): Number of classes ``K``.

        Returns:
            torch.Tensor: ``(K, )`` weights; index ``k - 1`` is rank ``k``.
        """

    def __call__(self, num_classes: int) -> torch.Tensor:
        """Alias of :meth:`combination_weights`."""
        return self.combination_weights(num_classes)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items())
        return f'{type(self).__name__}({args})'


@TASK_UTILS.register_module()
class TopBottom(BaseCombination):
    """Top-i & bottom-j combination (paper eq. 6).

    Adds the maps of the ``top`` most probable classes and subtracts those of
    the ``bottom`` least probable ones. ``top=1, bottom=0`` is plain CAM; the
    paper uses ``top=1, bottom=10`` on ImageNet.

    Args:
        top (int): Number of top-ranked maps added. Defaults to 1.
        bottom (int): Number of bottom-ranked maps subtracted.
            Defaults to 0.
    """

    def __init__(self, top: int = 1, bottom: int = 0):
        if top < 0 or bottom < 0:
            raise ValueError(f'top={top} and bottom={bottom} must be >= 0')
        self.top = int(top)
        self.bottom = int(bottom)

    def combination_weights(self, num_classes: int) -> torch.Tensor:
        """See :func:`top_bottom_weights`."""
        return top_bottom_weights(num_classes, self.top, self.bottom)


@TASK_UTILS.register_module()
class Polynomial(BaseCombination):
    """Polynomial combination of degree ``eta`` (paper eq. 5).

    ``degree=0, 1, 2, 3`` are the constant, linear, quadratic (the paper's
    choice for CUB) and cubic functions of the paper's Table 6.

    Args:
        degree (int): The degree ``eta``. Defaults to 2.
        num_foreground (float, optional): ``p``, the number of foreground
            maps. Defaults to ``(K + 1) / 2`` (the paper).
        variant (str): ``'paper'`` (eq. 5, the default) or ``'reference'``
            (the authors' code). See :func:`polynomial_weights`.
    """

    def __init__(
        self,
        degree: int = 2,
        num_foreground: Optional[float] = None,
        variant: str = 'paper',
    ):
        if degree < 0:
            raise ValueError(f'degree={degree} must be >= 0')
        if variant not in ('paper', 'reference'):
            raise ValueError(
                f"variant must be 'paper' or 'reference', got {variant!r}"
            )
        self.degree = int(degree)
        self.num_foreground = num_foreground
        self.variant = variant

    def combination_weights(self, num_classes: int) -> torch.Tensor:
        """See :func:`polynomial_weights`."""
        return polynomial_weights(
            num_classes, self.degree, self.num_foreground, self.variant
        )


@TASK_UTILS.register_module()
class ExplicitWeights(BaseCombination):
    """An explicit weight vector ``g(1), ..., g(K)``.

    Args:
        weights (Sequence[float]): One weight per rank, most probable class
            first. Its length must equal the number of classes.
    """

    def __init__(self, weights: Sequence[float]):
        weights = [float(w) for w in weights]
        if not weights:
            raise ValueError('weights must not be empty')
        self.weights = weights

    def combination_weights(self, num_classes: int) -> torch.Tensor:
        """Return the configured weights (checked against ``K``)."""
        if len(self.weights) != num_classes:
            raise ValueError(
                f'ExplicitWeights has {len(self.weights)} '
                f'weights but there are {num_classes} classes'
            )
        return torch.tensor(self.weights, dtype=torch.float32)
