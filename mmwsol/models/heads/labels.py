"""One ground-truth class per sample, for heads whose losses need it."""

from typing import List

import torch
from mmpretrain.structures import DataSample


def single_gt_labels(
    data_samples: List[DataSample], needed_by: str = 'this loss'
) -> torch.Tensor:
    """The ``gt_label`` of each sample, or the argmax of its ``gt_score``.

    Batch augmentations such as CutMix replace the labels by mixed scores;
    the dominant class then stands for the sample.

    Args:
        data_samples (List[DataSample]): Annotations.
        needed_by (str): What needs the labels, for the error message.

    Returns:
        torch.Tensor: ``(N, )`` classes.

    Raises:
        ValueError: A sample has no label or several.
    """
    if 'gt_label' in data_samples[0] and all(
        s.gt_label.numel() == 1 for s in data_samples
    ):
        return torch.cat([s.gt_label for s in data_samples])
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples]).argmax(1)
    raise ValueError(f'{needed_by} needs one gt_label per sample')
