"""The fixed-threshold box rule: one place for its settings and defaults.

GT-known Loc, Top-k Loc (and their error analysis), the boxes drawn on the
test overlays and the boxes of the inference API are all cut from a map by
the same rule: uint8 map, level ``int(θ * max)`` or
``int(θ * percentile)``, foreground ``u8 > level``, then the box of the
largest region, of every region or around all foreground (see
:func:`~mmwsol.evaluation.functional.fixed_threshold_boxes`).

A config declares the rule once, at top level::

    box_rule = dict(threshold=0.35, threshold_standard='percentile')

(absent: the defaults of :class:`BoxRule`, the CAM convention 0.2 x max,
largest region). ``tools/train.py`` / ``tools/test.py`` hand it to every
evaluator metric and hook that takes a ``box_rule`` argument
(:func:`mmwsol.utils.apply_box_rule`), and the inferencer reads it from the
same config, so ``--cfg-options box_rule.threshold=0.3`` changes the
metric, the overlays and the API together.

The threshold sweep of MaxBoxAcc (its ``box_mode`` and IoU thresholds) is
not part of this rule: it belongs to :class:`~mmwsol.evaluation.WSOLMetric`.
"""

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Union

import numpy as np

from .functional import BOX_MODES, THRESHOLD_STANDARDS, fixed_threshold_boxes


@dataclass(frozen=True)
class BoxRule:
    """How boxes are cut from a map at one fixed threshold.

    Args:
        threshold (float): The threshold θ, >= 0. Defaults to 0.2 (the CAM
            convention of 20 % of the map's maximum; Rethinking CAM's PaS
            uses 0.35 with the 90th percentile).
        threshold_standard (str): ``'max'`` (level ``int(θ * u8.max())``)
            or ``'percentile'`` (level ``int(θ * percentile(u8, p))``).
            Defaults to 'max'.
        percentile (float): The p of the ``'percentile'`` standard, in
            ``[0, 100]``. Defaults to 90.
        box_mode (str): ``'largest'`` (the box of the largest connected
            region: CAM's and most papers' GT-known / Top-1 Loc), ``'all'``
            (a box per contour, holes included, as wsolevaluation counts
            them; BagCAMs) or ``'union'`` (one box around all foreground;
            SPA's code). Defaults to 'largest'.
    """

    threshold: float = 0.2
    threshold_standard: str = 'max'
    percentile: float = 90.0
    box_mode: str = 'largest'

    def __post_init__(self) -> None:
        where = 'box_rule'
        for name in ('threshold', 'percentile'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.integer, np.floating)
            ):
                raise TypeError(
                    f'{where}.{name} must be a number, got {value!r}'
                )
            object.__setattr__(self, name, float(value))
        if not self.threshold >= 0:
            raise ValueError(
                f'{where}.threshold must be >= 0, got {self.threshold}'
            )
        if not 0 <= self.percentile <= 100:
            raise ValueError(
                f'{where}.percentile must be in [0, 100], got '
                f'{self.percentile}'
            )
        if self.threshold_standard not in THRESHOLD_STANDARDS:
            raise ValueError(
                f'{where}.threshold_standard: unknown '
                f'{self.threshold_standard!r}, choose from '
                f'{THRESHOLD_STANDARDS}'
            )
        if self.box_mode not in BOX_MODES:
            raise ValueError(
                f'{where}.box_mode: unknown {self.box_mode!r}, choose from '
                f'{BOX_MODES}'
            )

    @classmethod
    def fields(cls) -> tuple:
        """The names of the rule's settings."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_cfg(
        cls, cfg: Union['BoxRule', Mapping, None] = None
    ) -> 'BoxRule':
        """Build a rule from a config dict (missing keys: the defaults).

        Args:
            cfg (BoxRule | Mapping | None): A rule, a dict of some of
                :meth:`fields`, or None (all defaults).

        Returns:
            BoxRule: The rule.

        Raises:
            TypeError: ``cfg`` is not a dict, or a setting has a wrong type.
            ValueError: An unknown key or a bad value (the message names
                ``box_rule.<field>``).
        """
        if cfg is None:
            return cls()
        if isinstance(cfg, cls):
            return cfg
        if not isinstance(cfg, Mapping):
            raise TypeError(
                f'box_rule must be a dict with keys {cls.fields()}, got '
                f'{type(cfg).__name__}'
            )
        unknown = sorted(set(cfg) - set(cls.fields()))
        if unknown:
            raise ValueError(
                f'box_rule: unknown key(s) {unknown}, the keys are '
                f'{cls.fields()}'
            )
        return cls(**dict(cfg))

    def replace(self, **overrides) -> 'BoxRule':
        """A copy with some settings changed (None values are ignored)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **changes) if changes else self

    def to_dict(self) -> dict:
        """The settings as a plain dict (for configs and JSON)."""
        return dataclasses.asdict(self)

    def boxes(self, scoremap: np.ndarray) -> np.ndarray:
        """The boxes of one map under this rule.

        Args:
            scoremap (np.ndarray): ``(H, W)`` map in ``[0, 1]``.

        Returns:
            np.ndarray: int64 ``(n, 4)`` boxes ``[x0, y0, x1, y1]`` in map
            pixels (``[[0, 0, 0, 0]]`` when nothing is above the level, as
            the protocol has it).
        """
        return fixed_threshold_boxes(
            scoremap,
            self.threshold,
            self.threshold_standard,
            self.percentile,
            self.box_mode,
        )
