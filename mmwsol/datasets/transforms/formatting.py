"""Packing of WSOL samples into model inputs and data samples."""

from typing import Sequence

import numpy as np
import torch
from mmpretrain.datasets.transforms import PackInputs

from mmwsol.registry import TRANSFORMS

from .geometry import GEOMETRY_KEY, check_geometry_shape


def to_float_boxes(bboxes) -> torch.Tensor:
    """Convert boxes to a float32 tensor of shape (N, 4).

    Args:
        bboxes (np.ndarray | torch.Tensor | Sequence): Boxes.

    Returns:
        torch.Tensor: float32 (N, 4) boxes ((0, 4) when empty).
    """
    if isinstance(bboxes, torch.Tensor):
        return bboxes.to(torch.float32).reshape(-1, 4)
    array = np.ascontiguousarray(np.asarray(bboxes, dtype=np.float32))
    return torch.from_numpy(array.reshape(-1, 4))


@TRANSFORMS.register_module()
class PackWSOLInputs(PackInputs):
    """mmpretrain's ``PackInputs`` plus the WSOL annotations.

    Besides what ``PackInputs`` packs (``inputs``, ``gt_label``...), the
    data sample gets these data fields when present in the results:

    - ``gt_bboxes``: float32 tensor (N, 4) in input (transformed) pixel
      coordinates.
    - ``ori_gt_bboxes``: float32 tensor (M, 4) in original image
      coordinates.
    - ``gt_mask``: uint8 tensor (H, W) from ``gt_seg_map`` (1 foreground,
      255 ignore, 0 background), at input size. A seg map whose size
      differs from the image's raises a ``ValueError``: some transform of
      the pipeline did not update it (mmpretrain's ``ResizeEdge`` and
      ``RandomResizedCrop`` update neither masks nor boxes).
    - ``wsol_geometry``: the geometry record of the pipeline (a dict, see
      :mod:`mmwsol.datasets.transforms.geometry`), with ``tracked`` False
      when the image's size differs from the recorded one (a transform
      changed the image without updating the record). It is a data field,
      so ``meta_keys`` cannot drop it.

    Args:
        input_key (str): Key of the model input. Defaults to ``'img'``.
        algorithm_keys (Sequence[str]): Extra keys to pack as data fields.
            Defaults to ().
        meta_keys (Sequence[str]): Meta keys. A given value replaces the
            defaults, :attr:`DEFAULT_META_KEYS` (mmpretrain's plus
            ``img_id``).
    """

    DEFAULT_META_KEYS = PackInputs.DEFAULT_META_KEYS + ('img_id',)
    wsol_geometry = 'none'

    def __init__(
        self,
        input_key: str = 'img',
        algorithm_keys: Sequence[str] = (),
        meta_keys: Sequence[str] = DEFAULT_META_KEYS,
    ) -> None:
        super().__init__(
            input_key=input_key,
            algorithm_keys=algorithm_keys,
            meta_keys=meta_keys,
        )

    def transform(self, results: dict) -> dict:
        """Pack the inputs and the WSOL annotations.

        Args:
            results (dict): Result dict of the pipeline.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        packed = super().transform(results)
        data_sample = packed['data_samples']
        for key in ('gt_bboxes', 'ori_gt_bboxes'):
            if results.get(key) is not None:
                data_sample.set_field(to_float_boxes(results[key]), key)
        if results.get('gt_seg_map') is not None:
            seg_map = np.ascontiguousarray(
                results['gt_seg_map'], dtype=np.uint8
            )
            img = results.get(self.input_key)
            if isinstance(img, np.ndarray) and img.shape[:2] != seg_map.shape:
                raise ValueError(
                    f'{results.get("img_path", "image")}: gt_seg_map has '
                    f'shape {seg_map.shape} but the image has '
                    f'{img.shape[:2]}; a transform of the pipeline does not '
                    'update gt_seg_map'
                )
            data_sample.set_field(torch.from_numpy(seg_map), 'gt_mask')
        geometry = check_geometry_shape(results)
        if geometry is not None:
            data_sample.set_field(geometry, GEOMETRY_KEY)
        return packed
