"""What the inferencer returns for one image (plain numpy / Python)."""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np


@dataclass
class LocalizationResult:
    """The classification and localization of one image.

    Attributes:
        img_path (str | None): The image file, None for array inputs.
        ori_shape (tuple[int, int]): ``(h, w)`` of the original image.
        scores (np.ndarray): float32 ``(K, )`` softmax scores of all classes.
        labels (list[int]): The top-k classes, best first.
        label_scores (list[float]): Their scores.
        class_names (list[str]): Their names (``str(label)`` when the
            model knows no class names).
        maps (np.ndarray): float32 ``(k, h, w)`` maps of the top-k classes at
            the original image size, values in ``[0, 1]``.
        boxes (list[np.ndarray]): Per map, int64 ``(n, 4)`` boxes
            ``[x0, y0, x1, y1]`` in original image pixels (see
            :mod:`mmwsol.apis.geometry`); an empty map gives ``(0, 4)``.
        box_rule (dict): The box rule used (``threshold``,
            ``threshold_standard``, ``percentile``, ``box_mode``, see
            :class:`~mmwsol.evaluation.BoxRule`).
    """

    img_path: Optional[str]
    ori_shape: Tuple[int, int]
    scores: np.ndarray
    labels: List[int]
    label_scores: List[float]
    class_names: List[str]
    maps: np.ndarray
    boxes: List[np.ndarray]
    box_rule: Dict = field(default_factory=dict)

    @property
    def pred_label(self) -> int:
        """The top-1 class."""
        return int(np.argmax(self.scores))

    def to_dict(self, with_maps: bool = False) -> dict:
        """JSON-friendly dict (lists instead of arrays).

        Args:
            with_maps (bool): Include the maps (large). Defaults to False.

        Returns:
            dict: The fields, arrays as nested lists.
        """
        out = dict(
            img_path=self.img_path,
            ori_shape=list(self.ori_shape),
            scores=self.scores.tolist(),
            labels=list(self.labels),
            label_scores=list(self.label_scores),
            class_names=list(self.class_names),
            boxes=[np.asarray(b).tolist() for b in self.boxes],
            box_rule=dict(self.box_rule),
        )
        if with_maps:
            out['maps'] = self.maps.tolist()
        return out
