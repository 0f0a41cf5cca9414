"""Geometric transforms that keep WSOL boxes and masks consistent.

WSOL boxes are pixel-inclusive (``x1`` is the index of the last pixel column
of the object, as in the ``wsolevaluation`` metadata). MMCV's ``RandomFlip``
and ``CenterCrop`` use the continuous convention (a flip maps ``x`` to
``w - x``, a crop clips to ``[0, w]``), which is one pixel off for inclusive
boxes: a box no longer matches its own flipped mask. The transforms here are
registered in mmwsol's scope under the same names, so that configs with
``default_scope = 'mmwsol'`` get them:

- ``RandomFlip``: maps ``x`` to ``w - 1 - x`` (and ``y`` to ``h - 1 - y``).
- ``CenterCrop`` and ``RandomCrop``: shift the boxes, clip them to
  ``[0, w - 1] x [0, h - 1]`` of the crop and **drop** the boxes that have
  no pixel inside the crop; crop ``gt_seg_map`` alike.
- ``Resize``: MMCV's, which is right as it is: it scales the coordinates
  (``x * new_w / w``, the rescaling of the reference evaluation before its
  integer truncation) and resizes ``gt_seg_map`` with nearest neighbour.
- ``ResizeEdge``: mmpretrain's, which resizes the image only; this one also
  scales ``gt_bboxes`` and resizes ``gt_seg_map`` (nearest neighbour).

``ori_gt_bboxes`` is never touched. All five update the geometry record
``wsol_geometry`` (see :mod:`.geometry`), from which the metrics place the
original GT boxes on the maps.
"""

import math
from typing import Optional, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import CenterCrop as MMCV_CenterCrop
from mmcv.transforms import RandomFlip as MMCV_RandomFlip
from mmcv.transforms import Resize as MMCV_Resize
from mmpretrain.datasets.transforms import RandomCrop as MMPRE_RandomCrop
from mmpretrain.datasets.transforms import ResizeEdge as MMPRE_ResizeEdge

from mmwsol.registry import TRANSFORMS

from .geometry import record_crop, record_flip, record_resize


def crop_bboxes(
    bboxes: np.ndarray,
    x_offset: float,
    y_offset: float,
    width: int,
    height: int,
) -> Tuple[np.ndarray, np.ndarray]:
    """Move pixel-inclusive boxes into a crop window.

    Args:
        bboxes (np.ndarray): Boxes ``x0, y0, x1, y1`` of shape (N, 4).
        x_offset (float): Left column of the crop in the input image.
        y_offset (float): Top row of the crop in the input image.
        width (int): Width of the crop.
        height (int): Height of the crop.

    Returns:
        tuple[np.ndarray, np.ndarray]: The boxes in crop coordinates,
        clipped to ``[0, width - 1] x [0, height - 1]``, without the boxes
        that lie fully outside the crop (float32, shape (M, 4)); and the
        boolean (N,) mask of the kept boxes.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    shifted = bboxes - np.array(
        [x_offset, y_offset, x_offset, y_offset], dtype=np.float32
    )
    keep = (
        (shifted[:, 2] >= 0)
        & (shifted[:, 0] <= width - 1)
        & (shifted[:, 3] >= 0)
        & (shifted[:, 1] <= height - 1)
    )
    shifted = shifted[keep]
    shifted[:, 0::2] = np.clip(shifted[:, 0::2], 0, width - 1)
    shifted[:, 1::2] = np.clip(shifted[:, 1::2], 0, height - 1)
    return shifted.astype(np.float32), keep


def flip_bboxes(
    bboxes: np.ndarray, width: int, height: int, direction: str
) -> np.ndarray:
    """Flip pixel-inclusive boxes like the image pixels.

    A pixel column ``x`` goes to ``width - 1 - x`` (rows likewise), so the
    box of a flipped mask is the flipped box of the mask.

    Args:
        bboxes (np.ndarray): Boxes ``x0, y0, x1, y1`` of shape (N, 4).
        width (int): Image width.
        height (int): Image height.
        direction (str): ``'horizontal'``, ``'vertical'`` or ``'diagonal'``.

    Returns:
        np.ndarray: The flipped boxes (same dtype, (N, 4)).
    """
    if direction not in ('horizontal', 'vertical', 'diagonal'):
        raise ValueError(f'Unknown flip direction {direction!r}')
    flipped = bboxes.copy()
    if direction in ('horizontal', 'diagonal'):
        flipped[..., 0] = width - 1 - bboxes[..., 2]
        flipped[..., 2] = width - 1 - bboxes[..., 0]
    if direction in ('vertical', 'diagonal'):
        flipped[..., 1] = height - 1 - bboxes[..., 3]
        flipped[..., 3] = height - 1 - bboxes[..., 1]
    return flipped


def _padding_ltrb(padding: Union[int, tuple, list]) -> Tuple[int, ...]:
    """Padding ``(left, top, right, bottom)``, as ``mmcv.impad`` reads it."""
    if isinstance(padding, (int, float)):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        return padding + padding
    if len(padding) == 4:
        return padding
    raise ValueError(
        f'padding must be an int or a 2 or 4 element sequence, got {padding}'
    )


@TRANSFORMS.register_module()
class RandomCrop(MMPRE_RandomCrop):
    """mmpretrain's ``RandomCrop`` that also crops boxes and ``gt_seg_map``.

    Same arguments as mmpretrain's; for the same random state the image is
    cropped identically. Additionally:

    - ``gt_bboxes`` are shifted into the crop (padding included), clipped to
      ``[0, w - 1] x [0, h - 1]`` of the crop, and boxes with no pixel in the
      crop are dropped (so ``gt_bboxes`` may have fewer rows than
      ``ori_gt_bboxes``, which is never touched).
    - ``gt_seg_map`` is padded and cropped like the image: the constant
      ``padding`` and constant ``pad_if_needed`` borders become background
      (0); the other ``padding_mode`` s pad it like the image.
    - ``img_shape`` is ``(h, w)`` (mmpretrain stores the 3-element shape).
    - the geometry record ``wsol_geometry`` is updated.

    Args:
        crop_size (int | Sequence): ``(h, w)`` of the crop, or one int.
        padding (int | Sequence, optional): Border padding, as mmpretrain's.
        pad_if_needed (bool): As mmpretrain's. Defaults to False.
        pad_val (Number | Sequence[Number]): As mmpretrain's. Defaults to 0.
        padding_mode (str): As mmpretrain's. Defaults to ``'constant'``.
    """

    wsol_geometry = 'tracked'

    def _pad(self, img: np.ndarray, seg_map: Optional[np.ndarray]) -> Tuple:
        """Pad image and seg map as mmpretrain pads the image.

        Returns:
            tuple: ``(img, seg_map, left, top)`` with the total padding on
            the left and on the top.
        """
        left = top = 0
        if self.padding is not None:
            img = mmcv.impad(img, padding=self.padding, pad_val=self.pad_val)
            ltrb = _padding_ltrb(self.padding)
            if seg_map is not None:
                seg_map = mmcv.impad(seg_map, padding=ltrb, pad_val=0)
            left, top = ltrb[0], ltrb[1]
        if self.pad_if_needed:
            h_pad = math.ceil(max(0, self.crop_size[0] - img.shape[0]) / 2)
            w_pad = math.ceil(max(0, self.crop_size[1] - img.shape[1]) / 2)
            padding = (w_pad, h_pad, w_pad, h_pad)
            img = mmcv.impad(
                img,
                padding=padding,
                pad_val=self.pad_val,
                padding_mode=self.padding_mode,
            )
            if seg_map is not None:
                seg_map = mmcv.impad(
                    seg_map,
                    padding=padding,
                    pad_val=0,
                    padding_mode=self.padding_mode,
                )
            left, top = left + w_pad, top + h_pad
        return img, seg_map, left, top

    def transform(self, results: dict) -> dict:
        """Randomly crop the image, the boxes and the seg map.

        Args:
            results (dict): Result dict with ``img`` and optionally
                ``gt_bboxes`` and ``gt_seg_map``.

        Returns:
            dict: The cropped results.
        """
        seg_map = results.get('gt_seg_map')
        img, seg_map, left, top = self._pad(results['img'], seg_map)

        offset_h, offset_w, target_h, target_w = self.rand_crop_params(img)
        window = np.array(
            [
                offset_w,
                offset_h,
                offset_w + target_w - 1,
                offset_h + target_h - 1,
            ]
        )
        img = mmcv.imcrop(img, window)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        record_crop(results, offset_w - left, offset_h - top)
        if seg_map is not None:
            results['gt_seg_map'] = mmcv.imcrop(seg_map, window)
        if results.get('gt_bboxes') is not None:
            results['gt_bboxes'], _ = crop_bboxes(
                results['gt_bboxes'],
                offset_w - left,
                offset_h - top,
                target_w,
                target_h,
            )
        return results


@TRANSFORMS.register_module()
class CenterCrop(MMCV_CenterCrop):
    """MMCV's ``CenterCrop`` with pixel-inclusive box handling.

    The image and ``gt_seg_map`` are cropped as by MMCV. ``gt_bboxes`` are
    shifted, clipped to ``[0, w - 1] x [0, h - 1]`` of the crop (MMCV clips
    to ``[0, w]``) and boxes with no pixel in the crop are dropped (MMCV
    keeps them as degenerate boxes on the border). With
    ``clip_object_border=False`` MMCV's behaviour is kept. ``ori_gt_bboxes``
    is not touched; the geometry record ``wsol_geometry`` is updated (an
    ``auto_pad`` pads on the right and bottom only, which moves no pixel).
    Arguments are MMCV's.
    """

    wsol_geometry = 'tracked'

    def _crop_img(self, results: dict, bboxes: np.ndarray) -> None:
        """Crop the image to the window ``bboxes`` and record the crop."""
        super()._crop_img(results, bboxes)
        if results.get('img') is not None:
            record_crop(results, float(bboxes[0]), float(bboxes[1]))

    def _crop_bboxes(self, results: dict, bboxes: np.ndarray) -> None:
        """Update the boxes for the crop window ``bboxes`` (x1, y1, x2, y2)."""
        if results.get('gt_bboxes') is None:
            return
        if not self.clip_object_border:
            super()._crop_bboxes(results, bboxes)
            return
        height, width = results['img'].shape[:2]
        results['gt_bboxes'], _ = crop_bboxes(
            results['gt_bboxes'], bboxes[0], bboxes[1], width, height
        )


@TRANSFORMS.register_module()
class RandomFlip(MMCV_RandomFlip):
    """MMCV's ``RandomFlip`` with pixel-inclusive box flipping.

    Boxes map ``x`` to ``w - 1 - x`` (MMCV: ``w - x``), so they stay the
    boxes of the flipped ``gt_seg_map``. Everything else (arguments,
    ``flip`` and ``flip_direction`` keys, image and seg map flipping) is
    MMCV's. ``ori_gt_bboxes`` is not touched; the geometry record
    ``wsol_geometry`` is updated.
    """

    wsol_geometry = 'tracked'

    def _flip(self, results: dict) -> None:
        """Flip as MMCV does and record the flip."""
        super()._flip(results)
        record_flip(results, results['flip_direction'])

    def _flip_bbox(
        self, bboxes: np.ndarray, img_shape: Tuple[int, int], direction: str
    ) -> np.ndarray:
        """Flip (N, 4) pixel-inclusive boxes in an image of ``(h, w)``."""
        height, width = img_shape[:2]
        return flip_bboxes(bboxes, width, height, direction)


@TRANSFORMS.register_module()
class Resize(MMCV_Resize):
    """MMCV's ``Resize`` that also updates the geometry record.

    Image, ``gt_bboxes`` (``x * new_w / w``) and ``gt_seg_map`` (nearest
    neighbour) are resized as by MMCV; ``wsol_geometry`` records the scale
    factors. Arguments are MMCV's.
    """

    wsol_geometry = 'tracked'

    def transform(self, results: dict) -> dict:
        """Resize as MMCV does and record the scale factors."""
        results = super().transform(results)
        record_resize(results, *results['scale_factor'])
        return results


@TRANSFORMS.register_module()
class ResizeEdge(MMPRE_ResizeEdge):
    """mmpretrain's ``ResizeEdge`` that also resizes boxes and masks.

    The image is resized as by mmpretrain (one edge to ``scale``, the other
    in proportion, truncated). Additionally ``gt_bboxes`` are scaled like
    MMCV's ``Resize`` scales them (``x * new_w / w``), ``gt_seg_map`` is
    resized with nearest neighbour to the image size (as MMCV's ``Resize``
    does) and ``wsol_geometry`` records the scale factors. Arguments are
    mmpretrain's.
    """

    wsol_geometry = 'tracked'

    def transform(self, results: dict) -> dict:
        """Resize the image, the boxes and the seg map."""
        results = super().transform(results)
        w_scale, h_scale = results['scale_factor']
        if results.get('gt_bboxes') is not None:
            bboxes = np.asarray(results['gt_bboxes'], dtype=np.float32)
            results['gt_bboxes'] = bboxes.reshape(-1, 4) * np.array(
                [w_scale, h_scale, w_scale, h_scale], dtype=np.float32
            )
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'] = mmcv.imresize(
                results['gt_seg_map'],
                results['scale'],
                interpolation='nearest',
                backend=self.backend,
            )
        record_resize(results, w_scale, h_scale)
        return results
