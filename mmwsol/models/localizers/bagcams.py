"""BagCAMs: bagging regional classification activation maps (Zhu et al.,
ECCV 2022), a test-time localizer on any layer."""

from typing import Optional

import torch

from mmwsol.registry import MODELS

from .base_grad import BaseGradLocalizer
from .grad_capture import check_gradient_shapes


def bagcams_maps(
    acts: torch.Tensor,
    grads: torch.Tensor,
    pair_channels: bool = True,
    channel_relu: bool = True,
) -> torch.Tensor:
    """BagCAMs maps from an activation ``Z`` and ``g = d log(s_k) / dZ``.

    Paper eq. 12 (``i``, ``m``: positions; ``c1``, ``c2``: channels)::

        P*_{k,i} = sum_m sum_c1 s_k (1 + g_{c1,m} Z_{c1,m})
                   * (sum_c2 g_{c2,i} Z_{c2,i})

    - ``pair_channels=True`` (the authors' code): the sums over ``c1`` and
      ``c2`` run over the same channel ``c``, and each channel's term goes
      through a ReLU before the channel sum (``channel_relu``)::

          P*_{k,i} = sum_c relu( (sum_m (1 + g_{c,m} Z_{c,m}))
                                 * g_{c,i} Z_{c,i} )

      The code writes ``sum_m`` as a spatial mean (GAP): ``sum_m (1 + x_m)
      = hw (1 + mean_m x_m)`` and ReLU is positively homogeneous, so the maps
      are the code's times ``hw``, the same after min-max normalisation.
    - ``pair_channels=False``: eq. 12 as printed. Its ``sum_m sum_c1`` factor
      is then one number per map, so the map is PCS of ``log s_k`` times a
      constant (``channel_relu`` applies the ReLU to each channel's term
      ``A * g_{c2,i} Z_{c2,i}``).

    The leading ``s_k`` of eq. 12 is left out, as in the authors' code (a
    constant per map; it flips the map's sign when ``s_k < 0``).

    Args:
        acts (torch.Tensor): Activation ``(N, C, h, w)``.
        grads (torch.Tensor): Gradients of the (log) score
            ``(N, T, C, h, w)``.
        pair_channels (bool): See above. Defaults to True.
        channel_relu (bool): ReLU on each channel's term before the channel
            sum. Defaults to True.

    Returns:
        torch.Tensor: Maps ``(N, T, h, w)``.
    """
    check_gradient_shapes(acts, grads)
    gz = grads * acts[:, None]  # (N, T, C, h, w)
    if pair_channels:
        weight = (1 + gz).sum(dim=(-2, -1), keepdim=True)  # (N, T, C, 1, 1)
    else:
        weight = (1 + gz).sum(dim=(-3, -2, -1), keepdim=True)  # (N,T,1,1,1)
    terms = weight * gz
    if channel_relu:
        terms = terms.clamp(min=0)
    return terms.sum(dim=2)


@MODELS.register_module()
class BagCAMs(BaseGradLocalizer):
    """BagCAMs: the classifier degraded into ``N x N`` regional localizers
    whose scores are bagged at each position (paper eq. 12), on any layer,
    without retraining.

    Defaults are the authors' code (zh460045050/BagCAMs): backpropagate
    ``log`` of the target logit (``score='log'``), guided ReLU on the
    backward pass, the per-channel form of eq. 12 with a ReLU on each
    channel's term before the channel sum (see :func:`bagcams_maps`),
    bilinear upsampling, min-max normalisation. The paper uses ResNet50
    ``layer3`` (28x28 with the large feature map) and InceptionV3
    ``Mixed_6e``.

    Note:
        ``log`` of a negative logit is NaN, but its gradient
        ``(d s_k / dZ) / s_k`` is finite: like the authors' code, the
        gradient is then the logit's gradient with its sign flipped. A zero
        logit gives an infinite gradient and an empty (all-zero) map.

    Args:
        layer (str): Dotted module name, e.g. ``'backbone.layer3'``.
        pair_channels (bool): Per-channel form (authors' code) or eq. 12 as
            printed. Defaults to True.
        channel_relu (bool): ReLU on each channel's term before the channel
            sum. Defaults to True.
        score (str): Score differentiated. Defaults to ``'log'``.
        guided_relu (bool): Guided backpropagation. Defaults to True.
        upsample (str): Defaults to ``'bilinear'``.
        targets_per_pass (int, optional): Target columns per backward
            pass; None (default): see :class:`BaseGradLocalizer`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(
        self,
        layer: str,
        pair_channels: bool = True,
        channel_relu: bool = True,
        score: str = 'log',
        guided_relu: bool = True,
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
        self.pair_channels = pair_channels
        self.channel_relu = channel_relu

    def maps_from_gradients(
        self, acts: torch.Tensor, grads: torch.Tensor, scores: torch.Tensor
    ) -> torch.Tensor:
        """See :func:`bagcams_maps`."""
        return bagcams_maps(acts, grads, self.pair_channels, self.channel_relu)

    def extra_repr(self) -> str:
        return (
            f'{super().extra_repr()}, pair_channels='
            f'{self.pair_channels}, channel_relu={self.channel_relu}'
        )
