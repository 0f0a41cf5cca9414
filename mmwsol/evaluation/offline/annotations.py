"""The GT of a split for offline evaluation, as the test pipeline has it.

Reads a metadata folder (through :class:`~mmwsol.datasets.WSOLDataset`),
completes image sizes, loads GT masks and turns one image's annotations
plus its score map into the sample dict the metrics' ``process`` expects.
"""

import os.path as osp
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np

from mmwsol.datasets.metadata import detect_localization_format
from mmwsol.datasets.transforms.loading import (
    LoadImageFromFile,
    LoadWSOLAnnotations,
    build_seg_map,
    read_mask,
)
from mmwsol.datasets.wsol_dataset import WSOLDataset
from mmwsol.utils.progress import track

from .scoremaps import PROTOCOL_MAP_SIZE, short_listing

#: Name of the optional mask file next to a box ``localization.txt``.
DEFAULT_MASK_FILE = 'localization_mask.txt'


def resolve_mask_file(
    metadata_dir: str,
    localization_file: str = 'localization.txt',
    mask_file: Optional[str] = None,
) -> Optional[str]:
    """The extra mask file to read next to a box localization file.

    Args:
        metadata_dir (str): The split's metadata folder.
        localization_file (str): Name of the localization file.
        mask_file (str, optional): An explicit mask file (returned as is).

    Returns:
        str | None: ``mask_file``; else, when the localization file holds
        boxes and ``localization_mask.txt`` exists, that name; else None
        (masks, if any, are in the localization file).
    """
    if mask_file is not None:
        return mask_file
    loc_path = osp.join(metadata_dir, localization_file)
    if (
        not osp.isfile(loc_path)
        or detect_localization_format(loc_path) != 'boxes'
    ):
        return None
    if osp.isfile(osp.join(metadata_dir, DEFAULT_MASK_FILE)):
        return DEFAULT_MASK_FILE
    return None


def load_split_infos(
    metadata_dir: str,
    image_root: str = '',
    mask_root: str = '',
    localization_file: str = 'localization.txt',
    mask_file: Optional[str] = None,
) -> List[dict]:
    """Parse a split's metadata folder into one data info per image.

    The folder is read by :class:`~mmwsol.datasets.WSOLDataset` (same
    parsing and errors as training and testing), with
    ``require_localization=True``.

    Args:
        metadata_dir (str): Folder with ``image_ids.txt``,
            ``class_labels.txt``, ``image_sizes.txt`` (optional) and the
            localization file.
        image_root (str): Folder the image ids are relative to.
            Defaults to ''.
        mask_root (str): Folder the mask paths are relative to.
            Defaults to ''.
        localization_file (str): Boxes or masks. Defaults to
            ``'localization.txt'``.
        mask_file (str, optional): An extra mask file (see
            :func:`resolve_mask_file`). Defaults to None.

    Returns:
        list[dict]: Infos with ``img_id``, ``img_path``, ``gt_label``,
        ``gt_bboxes``, ``mask_paths``, ``ignore_path``, ``img_size``.
    """
    if not osp.isdir(metadata_dir):
        raise FileNotFoundError(f'Metadata folder not found: {metadata_dir}')
    dataset = WSOLDataset(
        data_root='',
        metadata_dir=metadata_dir,
        img_prefix=image_root,
        localization_file=localization_file,
        mask_file=mask_file,
        mask_prefix=mask_root,
        require_localization=True,
        test_mode=True,
        serialize_data=False,
        lazy_init=True,
    )
    infos = dataset.load_data_list()
    if not infos:
        raise ValueError(f'{metadata_dir}/image_ids.txt lists no image')
    return infos


def select_targets(
    infos: Sequence[dict],
    box: Optional[bool] = None,
    mask: Optional[bool] = None,
) -> Tuple[bool, bool]:
    """Decide what to evaluate and check every image has it.

    Args:
        infos (Sequence[dict]): Infos of :func:`load_split_infos`.
        box (bool, optional): Evaluate boxes; None: when any image has one.
        mask (bool, optional): Evaluate masks; None: only when no image has
            a box and some have masks.

    Returns:
        tuple[bool, bool]: ``(with_box, with_mask)``, at least one True.

    Raises:
        ValueError: If nothing can be evaluated, or if images lack the
            annotation asked for (naming them).
    """
    has_box = [len(i['gt_bboxes']) > 0 for i in infos]
    has_mask = [bool(i['mask_paths']) for i in infos]
    with_box = any(has_box) if box is None else box
    with_mask = (not any(has_box) and any(has_mask)) if mask is None else mask
    if not (with_box or with_mask):
        raise ValueError('Nothing to evaluate: enable box or mask evaluation.')
    for wanted, present, what in (
        (with_box, has_box, 'GT box'),
        (with_mask, has_mask, 'GT mask'),
    ):
        lacking = [i['img_id'] for i, p in zip(infos, present) if not p]
        if wanted and lacking:
            raise ValueError(
                f'{len(lacking)} of {len(infos)} images have no {what} in '
                f'the metadata: {short_listing(lacking)}'
                + (
                    ''
                    if what == 'GT box'
                    else ' (mask lines "path,mask,ignore" go in the '
                    'localization file or in a mask file)'
                )
            )
    return with_box, with_mask


def read_image_size(img_path: str) -> Tuple[int, int]:
    """``(w, h)`` of an image, decoded as the test pipeline decodes it.

    Args:
        img_path (str): Path of the image.

    Returns:
        tuple[int, int]: Width and height.
    """
    results = LoadImageFromFile().transform(dict(img_path=img_path))
    height, width = results['ori_shape'][:2]
    return int(width), int(height)


def fill_image_sizes(
    infos: Sequence[dict],
    image_root: Optional[str] = None,
    progress: bool = False,
) -> List[dict]:
    """Complete ``img_size`` of the infos from the images where missing.

    Args:
        infos (Sequence[dict]): Infos of :func:`load_split_infos`.
        image_root (str, optional): The image folder (the infos'
            ``img_path`` are already joined to it). None or '' when no image
            folder was given.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        list[dict]: Copies of the infos, each with ``img_size`` ``(w, h)``.

    Raises:
        ValueError: If sizes are missing and no image folder was given.
    """
    lacking = [i for i, info in enumerate(infos) if not info['img_size']]
    infos = [dict(info) for info in infos]
    if not lacking:
        return infos
    if not image_root:
        raise ValueError(
            f'{len(lacking)} of {len(infos)} images have no size in '
            'image_sizes.txt (needed to rescale the GT boxes), e.g. '
            f'{short_listing([infos[i]["img_id"] for i in lacking])}; '
            'give the image folder (--image-root) to read the sizes from '
            'the images'
        )
    indices = (
        track(lacking, desc='reading image sizes') if progress else lacking
    )
    for i in indices:
        infos[i]['img_size'] = read_image_size(infos[i]['img_path'])
    return infos


def load_gt_mask(
    mask_paths: Sequence[str],
    ignore_path: Optional[str],
    map_size: Sequence[int] = PROTOCOL_MAP_SIZE,
    image_size: Optional[Sequence[int]] = None,
    backend_args: Optional[dict] = None,
) -> np.ndarray:
    """The GT label map of an image at the map size.

    Args:
        mask_paths (Sequence[str]): Instance mask files (0/255 PNGs at the
            original size).
        ignore_path (str, optional): The ignore mask file.
        map_size (Sequence[int]): ``(H, W)`` of the score maps.
        image_size (Sequence[int], optional): ``(w, h)`` of the image; when
            given every mask must have it.
        backend_args (dict, optional): MMEngine file backend arguments.

    Returns:
        np.ndarray: uint8 ``(H, W)``: 1 foreground, 0 background,
        255 ignore.

    Raises:
        ValueError: If masks differ in size (from each other or from the
            image), naming the file.
    """
    if not mask_paths:
        raise ValueError('An image needs at least one mask file.')
    paths = list(mask_paths) + ([ignore_path] if ignore_path else [])
    arrays = []
    expected = tuple(int(v) for v in image_size) if image_size else None
    for path in paths:
        array = read_mask(path, backend_args)
        size = (array.shape[1], array.shape[0])
        if expected is None:
            expected = size
        elif size != expected:
            raise ValueError(
                f'Mask {path} has size (w={size[0]}, h={size[1]}), but its '
                f'image has size (w={expected[0]}, h={expected[1]})'
            )
        arrays.append(array)
    ignore = arrays[-1] if ignore_path else None
    seg_map = build_seg_map(arrays[: len(mask_paths)], ignore)
    height, width = (int(s) for s in map_size)
    return mmcv.imresize(
        seg_map, (width, height), interpolation='nearest', backend='cv2'
    )


def make_offline_sample(
    info: dict,
    scoremap: np.ndarray,
    with_box: bool = True,
    with_mask: bool = False,
    backend_args: Optional[dict] = None,
) -> dict:
    """The sample dict of one image, as the metrics receive it online.

    Args:
        info (dict): A data info of :func:`load_split_infos` (with
            ``img_size`` when ``with_box``).
        scoremap (np.ndarray): The GT-class map at the evaluation size.
        with_box (bool): Add ``ori_gt_bboxes`` and ``ori_shape`` (boxes
            clipped to the image by ``LoadWSOLAnnotations``, with its
            warning). Defaults to True.
        with_mask (bool): Add ``gt_mask`` at the map size. Defaults to
            False.
        backend_args (dict, optional): File backend arguments for masks.

    Returns:
        dict: ``img_id``, ``img_path``, ``gt_label``, ``gt_cam`` and the
        annotations above (no ``pred_score``: the numbers are
        localization-only).
    """
    sample = dict(
        img_id=info['img_id'],
        img_path=info['img_path'],
        gt_label=np.array([info['gt_label']]),
        gt_cam=scoremap,
    )
    if with_box:
        width, height = info['img_size']
        loaded = LoadWSOLAnnotations(with_mask=False, check_size=False)(
            dict(
                img_path=info['img_path'],
                ori_shape=(height, width),
                gt_bboxes=info['gt_bboxes'],
            )
        )
        sample['ori_gt_bboxes'] = loaded['ori_gt_bboxes']
        sample['ori_shape'] = (height, width)
    if with_mask:
        sample['gt_mask'] = load_gt_mask(
            info['mask_paths'],
            info['ignore_path'],
            scoremap.shape,
            info.get('img_size'),
            backend_args,
        )
    return sample
