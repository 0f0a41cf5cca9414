"""Loading of WSOL images and localization annotations."""

import warnings
from typing import List, Optional, Sequence, Tuple

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadImageFromFile as MMCV_LoadImageFromFile

from mmwsol.registry import TRANSFORMS

from .geometry import GEOMETRY_KEY, init_geometry

#: Values of ``gt_seg_map``.
SEG_BACKGROUND = 0
SEG_FOREGROUND = 1
SEG_IGNORE = 255


def clip_bboxes(
    bboxes: np.ndarray, width: int, height: int, allow_edge: bool = False
) -> Tuple[np.ndarray, bool]:
    """Clip boxes to an image.

    With ``allow_edge=False`` coordinates are clipped to ``[0, width - 1]``
    and ``[0, height - 1]``, the range of pixel indices (pixel-inclusive
    boxes). With ``allow_edge=True`` they are clipped to ``[0, width]`` and
    ``[0, height]``: the community metadata writes CUB boxes as
    ``x1 = x + w``, which may equal the image width, and its evaluator
    rescales them unclipped, so such boxes must be kept as they are for
    exact numbers.

    Args:
        bboxes (np.ndarray): Boxes ``x0, y0, x1, y1`` of shape (N, 4).
        width (int): Image width.
        height (int): Image height.
        allow_edge (bool): Allow coordinates equal to ``width``/``height``.
            Defaults to False.

    Returns:
        tuple[np.ndarray, bool]: The clipped float32 boxes and whether any
        coordinate was changed.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    edge = 0 if allow_edge else 1
    clipped = bboxes.copy()
    clipped[:, 0::2] = np.clip(clipped[:, 0::2], 0, width - edge)
    clipped[:, 1::2] = np.clip(clipped[:, 1::2], 0, height - edge)
    return clipped, bool((clipped != bboxes).any())


def build_seg_map(
    instance_masks: Sequence[np.ndarray],
    ignore_mask: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Combine instance masks and an ignore mask into one label map.

    Args:
        instance_masks (Sequence[np.ndarray]): Masks of shape (H, W); a pixel
            is foreground where any mask is ``> 0``.
        ignore_mask (np.ndarray, optional): Mask of shape (H, W); its pixels
            ``> 0`` that are not foreground are ignored. Defaults to None.

    Returns:
        np.ndarray: uint8 (H, W) map with 1 = foreground, 255 = ignore and
        0 = background.
    """
    foreground = np.zeros(instance_masks[0].shape[:2], dtype=bool)
    for mask in instance_masks:
        foreground |= mask > 0
    seg_map = foreground.astype(np.uint8) * SEG_FOREGROUND
    if ignore_mask is not None:
        seg_map[(ignore_mask > 0) & ~foreground] = SEG_IGNORE
    return seg_map


def read_mask(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a mask file as a grayscale (H, W) array.

    Args:
        path (str): Path of the mask file.
        backend_args (dict, optional): File backend arguments of MMEngine.

    Returns:
        np.ndarray: The grayscale mask.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file cannot be decoded as an image.
    """
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'Mask file not found: {path}') from None
    try:
        mask = mmcv.imfrombytes(content, flag='grayscale', backend='cv2')
    except Exception as e:  # cv2 raises on empty or broken bytes
        raise ValueError(f'Failed to decode mask {path}: {e}') from e
    if mask is None:
        raise ValueError(f'Failed to decode mask {path}')
    return mask


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCV_LoadImageFromFile):
    """MMCV's ``LoadImageFromFile`` whose errors always name the image.

    MMCV reports a missing file with its path, but an empty or otherwise
    undecodable file with OpenCV's message only (or an ``assert``, which
    ``python -O`` removes). This subclass raises ``FileNotFoundError`` or
    ``ValueError`` naming the path instead; arguments and results are the
    same as MMCV's (including ``ignore_empty``).
    """

    wsol_geometry = 'none'

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): Result dict with ``img_path``.

        Returns:
            dict | None: Results with ``img``, ``img_shape``, ``ori_shape``;
            None for a bad image when ``ignore_empty`` is set.
        """
        filename = results['img_path']
        try:
            loaded = super().transform(results)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'Image file not found: {filename}'
            ) from None
        except Exception as e:
            raise ValueError(
                f'Failed to load image {filename}: {type(e).__name__}: {e}'
            ) from e
        return loaded


@TRANSFORMS.register_module()
class LoadWSOLAnnotations(BaseTransform):
    """Check and load the localization annotations of a WSOL sample.

    Runs after the image loading. Boxes are pixel-inclusive ``x0, y0, x1,
    y1`` in the original image.

    - The loaded image size (``ori_shape``) is checked against ``img_size``
      (from ``image_sizes.txt``) when known.
    - ``gt_bboxes`` are clipped to ``[0, w - 1] x [0, h - 1]``; a box that
      lay outside the image gives a warning naming the image.
    - ``ori_gt_bboxes`` is a copy of the (clipped) boxes in original
      coordinates that no transform of mmwsol (or MMCV) rewrites.
    - ``gt_seg_map`` is a uint8 (H, W) map at original size: 1 = foreground
      (any instance mask ``> 0``), 255 = ignore (ignore mask ``> 0`` and not
      foreground), 0 = background. It is made only for images with masks.
      MMCV's ``Resize`` (nearest) then yields exactly the reference
      evaluation masks (each mask resized with nearest neighbour and
      ``> 0.5``, OR-ed; ignore likewise and ``& ~foreground``).

    Required Keys:

    - ori_shape
    - gt_bboxes (optional)
    - mask_paths (optional)
    - ignore_path (optional)
    - img_size (optional)

    Modified Keys:

    - gt_bboxes

    Added Keys:

    - ori_gt_bboxes
    - gt_seg_map
    - wsol_geometry

    Args:
        with_bbox (bool): Whether to check and copy the boxes.
            Defaults to True.
        with_mask (bool): Whether to load the masks. Defaults to True.
        check_size (bool): Whether to compare the image size with
            ``img_size``. Defaults to True.
        backend_args (dict, optional): File backend arguments of MMEngine,
            for the masks. Defaults to None.
    """

    wsol_geometry = 'none'

    def __init__(
        self,
        with_bbox: bool = True,
        with_mask: bool = True,
        check_size: bool = True,
        backend_args: Optional[dict] = None,
    ) -> None:
        self.with_bbox = with_bbox
        self.with_mask = with_mask
        self.check_size = check_size
        self.backend_args = backend_args.copy() if backend_args else None

    @staticmethod
    def _image_name(results: dict) -> str:
        """The image path (or id) for messages."""
        return str(results.get('img_path', results.get('img_id', '?')))

    def _check_size(self, results: dict, width: int, height: int) -> None:
        """Compare the loaded size with ``img_size`` of the metadata."""
        expected = results.get('img_size')
        if expected is None:
            return
        if (int(expected[0]), int(expected[1])) != (width, height):
            raise ValueError(
                f'Image {self._image_name(results)} has size (w={width}, '
                f'h={height}), but image_sizes.txt says (w={expected[0]}, '
                f'h={expected[1]})'
            )

    def _load_bboxes(self, results: dict, width: int, height: int) -> None:
        """Clip the boxes and keep a copy in the annotation's convention.

        ``ori_gt_bboxes`` (read by the metrics) keeps the annotation exactly
        unless a coordinate lies outside ``[0, w] x [0, h]``, which is
        clipped with a warning naming the image; ``gt_bboxes`` (moved by the
        geometric transforms) is clipped to the pixel range ``[0, w - 1]``.
        """
        bboxes = results.get('gt_bboxes')
        if bboxes is None:
            bboxes = np.zeros((0, 4), dtype=np.float32)
        original, changed = clip_bboxes(bboxes, width, height, allow_edge=True)
        if changed:
            warnings.warn(
                f'Image {self._image_name(results)}: box(es) outside the '
                f'image (w={width}, h={height}) were clipped to it: '
                f'{np.asarray(bboxes).reshape(-1, 4).tolist()} -> '
                f'{original.tolist()}'
            )
        results['gt_bboxes'] = clip_bboxes(original, width, height)[0]
        results['ori_gt_bboxes'] = original

    def _load_masks(self, results: dict, width: int, height: int) -> None:
        """Read the instance and ignore masks into ``gt_seg_map``."""
        mask_paths: List[str] = list(results.get('mask_paths') or [])
        if not mask_paths:
            return
        ignore_path = results.get('ignore_path')
        masks = [self._read_checked(p, width, height) for p in mask_paths]
        ignore = (
            self._read_checked(ignore_path, width, height)
            if ignore_path
            else None
        )
        results['gt_seg_map'] = build_seg_map(masks, ignore)

    def _read_checked(self, path: str, width: int, height: int) -> np.ndarray:
        """Read a mask and check that it has the image size."""
        mask = read_mask(path, self.backend_args)
        mask_h, mask_w = mask.shape[:2]
        if (mask_w, mask_h) != (width, height):
            raise ValueError(
                f'Mask {path} has size (w={mask_w}, h={mask_h}), but its '
                f'image has size (w={width}, h={height})'
            )
        return mask

    def transform(self, results: dict) -> dict:
        """Check and load the annotations.

        Args:
            results (dict): Result dict after image loading.

        Returns:
            dict: The results with ``gt_bboxes``, ``ori_gt_bboxes`` and
            ``gt_seg_map`` (when masks exist).
        """
        if 'ori_shape' not in results:
            raise KeyError(
                'LoadWSOLAnnotations needs "ori_shape": put it '
                'after LoadImageFromFile'
            )
        height, width = results['ori_shape'][:2]
        if self.check_size:
            self._check_size(results, width, height)
        if self.with_bbox:
            self._load_bboxes(results, width, height)
        if self.with_mask:
            self._load_masks(results, width, height)
        results[GEOMETRY_KEY] = init_geometry(height, width)
        return results

    def __repr__(self) -> str:
        return (
            f'{self.__class__.__name__}(with_bbox={self.with_bbox}, '
            f'with_mask={self.with_mask}, '
            f'check_size={self.check_size}, '
            f'backend_args={self.backend_args})'
        )
