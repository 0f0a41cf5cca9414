"""Building the metadata of CUB-200-2011: the val split carved from train,
image sizes and box checks, masks from the segmentations, and the files
written per split. Part of ``cub.py``, which describes the conventions.
"""

import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from cub_release import (
    CUB_FILES,
    Box,
    CUBFormatError,
    CUBRecord,
    read_class_names,
    read_cub_records,
)


def carve_val(
    records: Sequence[CUBRecord], per_class: int, keep_in_train: bool = False
) -> Dict[str, List[CUBRecord]]:
    """Split records into train / val / test; val is carved from train.

    For each class, its ``n`` train images sorted by id are cut into
    ``per_class`` equal chunks and the middle image of each chunk (index
    ``(2i + 1) * n // (2 * per_class)``) goes to val.

    Args:
        records (sequence[CUBRecord]): All images.
        per_class (int): Val images per class (0: no val split).
        keep_in_train (bool): Also keep the val images in train.

    Returns:
        dict[str, list[CUBRecord]]: ``train``, ``val`` and ``test``, each in
        ascending id order.

    Raises:
        ValueError: If a class has fewer than ``per_class + 1`` train images.
    """
    train = sorted(
        (r for r in records if r.is_train), key=lambda r: r.image_id
    )
    test = sorted(
        (r for r in records if not r.is_train), key=lambda r: r.image_id
    )
    val_ids = set()
    if per_class > 0:
        by_class: Dict[int, List[CUBRecord]] = {}
        for record in train:
            by_class.setdefault(record.label, []).append(record)
        for label, members in sorted(by_class.items()):
            n = len(members)
            if n <= per_class:
                raise ValueError(
                    f'class {label + 1} has {n} train images; cannot carve '
                    f'{per_class} val images and keep train images'
                )
            val_ids.update(
                members[(2 * i + 1) * n // (2 * per_class)].image_id
                for i in range(per_class)
            )
    val = [r for r in train if r.image_id in val_ids]
    if not keep_in_train:
        train = [r for r in train if r.image_id not in val_ids]
    return {'train': train, 'val': val, 'test': test}


def read_image_size(path: str) -> Tuple[int, int]:
    """Width and height of an image, from its header when PIL is installed.

    Args:
        path (str): Image file.

    Returns:
        tuple[int, int]: ``(width, height)``.

    Raises:
        FileNotFoundError: If the file does not exist.
        OSError: If it cannot be read as an image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'image {path} not found (use --no-sizes to '
            'convert without the images)'
        )
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        try:
            with Image.open(path) as image:
                return image.size
        except OSError as err:
            raise OSError(f'cannot read image {path}: {err}') from None
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise OSError(f'cannot read image {path}')
    return image.shape[1], image.shape[0]


def check_box(
    record: CUBRecord,
    size: Tuple[int, int],
    boxes_file: str,
    clip: bool = False,
) -> Box:
    """Check (or clip) a box against its image size.

    Args:
        record (CUBRecord): The image record.
        size (tuple[int, int]): ``(width, height)``.
        boxes_file (str): Path of ``bounding_boxes.txt`` (for the message).
        clip (bool): Clip to ``[0, w] x [0, h]`` (the accepted range)
            instead of failing.

    Returns:
        tuple[int, int, int, int]: The box to write.

    Raises:
        CUBFormatError: If the box leaves the image and ``clip`` is False.
    """
    width, height = size
    x0, y0, x1, y1 = record.box
    if clip:
        return (
            min(x0, width),
            min(y0, height),
            min(x1, width),
            min(y1, height),
        )
    if not (0 <= x0 <= x1 <= width and 0 <= y0 <= y1 <= height):
        raise CUBFormatError(
            f'{boxes_file}, line {record.box_line}: box {record.box} (x0, y0, '
            f'x1, y1) leaves image {record.path} of size {width}x{height} '
            '(use --clip-boxes to clip it)'
        )
    return record.box


def segmentation_to_masks(
    segmentation: np.ndarray, threshold: int = 127
) -> Tuple[np.ndarray, np.ndarray]:
    """Binarise a grey-level CUB segmentation into mask and ignore PNGs.

    Args:
        segmentation (np.ndarray): ``(H, W)`` uint8 grey levels.
        threshold (int): Foreground is ``value > threshold``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``mask`` and ``ignore``, uint8 0/255;
        ignore is ``0 < value <= threshold``.
    """
    foreground = segmentation > threshold
    ignore = (segmentation > 0) & ~foreground
    return (foreground.astype(np.uint8) * 255, ignore.astype(np.uint8) * 255)


def _write_png(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, array):
        raise OSError(f'could not write {path}')


def _write_lines(path: str, lines: Sequence[str]) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', newline='\n') as f:
        f.writelines(line + '\n' for line in lines)


def convert_cub(
    cub_root: str,
    out_dir: str,
    segmentations: Optional[str] = None,
    val_per_class: int = 0,
    read_sizes: bool = True,
    mask_out: Optional[str] = None,
    mask_threshold: int = 127,
    keep_val_in_train: bool = False,
    clip_boxes: bool = False,
) -> Dict[str, int]:
    """Write wsolevaluation-style metadata for CUB-200-2011.

    Args:
        cub_root (str): The ``CUB_200_2011`` folder (annotation files and
            ``images/``).
        out_dir (str): Metadata output folder (e.g. ``metadata/CUB``).
        segmentations (str, optional): Folder of the CUB segmentations;
            enables ``localization_mask.txt`` for val and test.
        val_per_class (int): Val images carved per class from train (see
            :func:`carve_val`); 0 writes no val split.
        read_sizes (bool): Read each image's size; False writes an empty
            ``image_sizes.txt`` and needs no images.
        mask_out (str, optional): Where the binarised masks are written.
            Defaults to ``<out_dir>/masks``.
        mask_threshold (int): See :func:`segmentation_to_masks`.
        keep_val_in_train (bool): Keep carved val images in train too.
        clip_boxes (bool): Clip boxes to the image instead of failing.

    Returns:
        dict[str, int]: Number of images per written split.
    """
    records = read_cub_records(cub_root)
    splits = carve_val(records, val_per_class, keep_val_in_train)
    boxes_file = osp.join(cub_root, CUB_FILES['boxes'])
    image_root = osp.join(cub_root, 'images')
    mask_out = mask_out or osp.join(out_dir, 'masks')
    sizes: Dict[int, Tuple[int, int]] = {}
    if read_sizes:
        for record in records:
            sizes[record.image_id] = read_image_size(
                osp.join(image_root, record.path)
            )

    counts = {}
    for split, members in splits.items():
        if split == 'val' and val_per_class <= 0:
            continue
        lines: Dict[str, List[str]] = {
            'image_ids': [],
            'class_labels': [],
            'image_sizes': [],
            'localization': [],
            'localization_mask': [],
        }
        for record in members:
            box = record.box
            if read_sizes:
                width, height = sizes[record.image_id]
                box = check_box(
                    record, (width, height), boxes_file, clip_boxes
                )
                lines['image_sizes'].append(f'{record.path},{width},{height}')
            lines['image_ids'].append(record.path)
            lines['class_labels'].append(f'{record.path},{record.label}')
            lines['localization'].append(
                record.path + ',' + ','.join(str(v) for v in box)
            )
            if segmentations and split in ('val', 'test'):
                lines['localization_mask'].append(
                    _convert_segmentation(
                        record,
                        segmentations,
                        mask_out,
                        sizes.get(record.image_id),
                        mask_threshold,
                    )
                )
        for name, content in lines.items():
            if name == 'localization_mask' and not (
                segmentations and split in ('val', 'test')
            ):
                continue
            _write_lines(osp.join(out_dir, split, name + '.txt'), content)
        counts[split] = len(members)

    names = read_class_names(cub_root)
    if names is not None:
        _write_lines(osp.join(out_dir, 'classes.txt'), names)
    return counts


def _convert_segmentation(
    record: CUBRecord,
    segmentations: str,
    mask_out: str,
    size: Optional[Tuple[int, int]],
    threshold: int,
) -> str:
    """Binarise one segmentation; return its ``localization_mask`` line."""
    stem = osp.splitext(record.path)[0]
    source = osp.join(segmentations, stem + '.png')
    if not osp.isfile(source):
        raise FileNotFoundError(
            f'segmentation {source} of image {record.path} not found'
        )
    segmentation = cv2.imread(source, cv2.IMREAD_GRAYSCALE)
    if segmentation is None:
        raise OSError(f'cannot read segmentation {source}')
    if size is not None and (
        segmentation.shape[1],
        segmentation.shape[0],
    ) != tuple(size):
        raise CUBFormatError(
            f'segmentation {source} is {segmentation.shape[1]}x'
            f'{segmentation.shape[0]} but image {record.path} is '
            f'{size[0]}x{size[1]}'
        )
    mask, ignore = segmentation_to_masks(segmentation, threshold)
    mask_rel, ignore_rel = stem + '_mask.png', stem + '_ignore.png'
    _write_png(osp.join(mask_out, mask_rel), mask)
    _write_png(osp.join(mask_out, ignore_rel), ignore)
    return f'{record.path},{mask_rel},{ignore_rel}'
