"""Convert the raw CUB-200-2011 release to the wsolevaluation metadata format.

Reads ``images.txt`` (``id relpath``), ``image_class_labels.txt``
(``id label``, labels 1..200), ``train_test_split.txt`` (``id is_train``),
``bounding_boxes.txt`` (``id x y w h``, floats) and, when present,
``classes.txt`` from ``--cub-root``, and writes under ``--out``::

    train/  image_ids.txt class_labels.txt image_sizes.txt localization.txt
    val/    the same (+ localization_mask.txt with --segmentations)
    test/   the same (+ localization_mask.txt with --segmentations)
    classes.txt

Conventions (checked against the community metadata, clovaai/wsolevaluation
``metadata/CUB``):

* Labels are written 0-based (``label - 1``); images are listed in
  ``images.txt`` order (ascending id), as the community files are.
* Boxes: ``x0 = x``, ``y0 = y``, ``x1 = x + w``, ``y1 = y + h``: the
  community line for image 1 (``60.0 27.0 325.0 304.0`` in the release) is
  ``...0046_18.jpg,60,27,385,331`` and for image 3 (``14.0 112.0 388.0
  186.0``) ``...0002_55.jpg,14,112,402,298``: no ``-1``, no clipping. The
  release stores whole numbers as floats; each of ``x``, ``y``, ``x + w``,
  ``y + h`` is converted with ``int()`` (truncation), which leaves whole
  numbers unchanged. When image sizes are read, a box must satisfy
  ``0 <= x0 <= x1 <= w`` and ``0 <= y0 <= y1 <= h`` (``x1 == w`` can occur
  with the ``x + w`` convention) or the conversion stops with the
  ``bounding_boxes.txt`` line; ``--clip-boxes`` clips to ``w``/``h``
  instead.
* ``image_sizes.txt`` is ``path,w,h`` read from each image header (PIL when
  installed, else OpenCV). ``--no-sizes`` writes it empty (the images are
  then not needed).
* **val is not the community one.** wsolevaluation's CUB ``val``
  (train-fullsup) is a separately collected set of 5 images per class
  ("CUBV2", downloaded from their release). We cannot download it, so with
  ``--val-per-class N`` we carve N images per class out of the official train
  split, deterministically: the class's train images sorted by id, the
  middle image of each of N equal chunks (indices ``(2i + 1) * n // (2N)``).
  They are removed from ``train`` unless ``--keep-val-in-train``. Numbers on
  this val are therefore not comparable with numbers on the community val.
* With ``--segmentations DIR`` (the CUB segmentation release,
  ``DIR/<relpath with .png>``), val and test get ``localization_mask.txt``
  lines ``path,mask,ignore``: the grey-level segmentation is binarised as
  ``value > --mask-threshold`` (default 127) into a 0/255 PNG, and the pixels
  with ``0 < value <= threshold`` (annotator disagreement, soft edges) go to
  the ignore PNG. Both are written under ``--mask-out`` (default
  ``OUT/masks``) as ``<relpath stem>_mask.png`` and ``<relpath
  stem>_ignore.png``, and listed relative to it.

Malformed input stops the conversion with ``file, line N: reason``.
"""

import argparse
import os
import os.path as osp
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

CUB_FILES = {
    'images': 'images.txt',
    'labels': 'image_class_labels.txt',
    'split': 'train_test_split.txt',
    'boxes': 'bounding_boxes.txt',
    'classes': 'classes.txt',
}

Box = Tuple[int, int, int, int]


class CUBFormatError(ValueError):
    """Malformed or inconsistent CUB release file (message names the line)."""


@dataclass
class CUBRecord:
    """One image of the release.

    Attributes:
        image_id (int): Id in ``images.txt``.
        path (str): Image path relative to ``images/``.
        label (int): 0-based class index.
        is_train (bool): Official train split membership.
        box (tuple[int, int, int, int]): ``(x0, y0, x1, y1)`` box.
        box_line (int): Line of the box in ``bounding_boxes.txt``.
    """

    image_id: int
    path: str
    label: int
    is_train: bool
    box: Box
    box_line: int


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
def read_id_table(
    path: str,
    num_values: int,
    parse: Callable[[List[str]], object],
    last_is_rest: bool = False,
) -> Dict[int, Tuple[int, object]]:
    """Read a CUB ``<id> <values...>`` file.

    Args:
        path (str): File to read. Blank lines are skipped.
        num_values (int): Number of values after the id.
        parse (callable): Turns the list of value strings into the stored
            value; raises ``ValueError`` with a reason for bad values.
        last_is_rest (bool): The last value is the rest of the line (may
            contain spaces), as an image path.

    Returns:
        dict[int, tuple[int, object]]: ``id -> (line number, value)``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        CUBFormatError: For a malformed line or a repeated id.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found (is --cub-root the CUB_200_2011 folder?)'
        )
    table: Dict[int, Tuple[int, object]] = {}
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            fields = (
                text.split(maxsplit=num_values)
                if last_is_rest
                else text.split()
            )
            if len(fields) != num_values + 1:
                raise CUBFormatError(
                    f'{path}, line {lineno}: expected an id and {num_values} '
                    f'value(s), got {text!r}'
                )
            try:
                image_id = int(fields[0])
            except ValueError:
                raise CUBFormatError(
                    f'{path}, line {lineno}: image id {fields[0]!r} is not '
                    'an integer'
                ) from None
            if image_id in table:
                raise CUBFormatError(
                    f'{path}, line {lineno}: id {image_id} already given on '
                    f'line {table[image_id][0]}'
                )
            try:
                value = parse(fields[1:])
            except ValueError as err:
                raise CUBFormatError(
                    f'{path}, line {lineno}: {err} in {text!r}'
                ) from None
            table[image_id] = (lineno, value)
    return table


def _parse_path(values: List[str]) -> str:
    path = values[0].strip()
    if ',' in path:
        raise ValueError(
            'image path contains a comma, which the metadata '
            'format cannot hold'
        )
    return path


def _parse_label(values: List[str]) -> int:
    label = int(values[0])
    if label < 1:
        raise ValueError(f'class label {label} < 1 (CUB labels start at 1)')
    return label


def _parse_is_train(values: List[str]) -> bool:
    if values[0] not in ('0', '1'):
        raise ValueError(
            f'is_training_image must be 0 or 1, got {values[0]!r}'
        )
    return values[0] == '1'


def _parse_box(values: List[str]) -> Tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in values)
    if not all(np.isfinite([x, y, w, h])):
        raise ValueError('box value is not finite')
    if x < 0 or y < 0 or w < 0 or h < 0:
        raise ValueError(f'box x, y, w, h must be >= 0, got {values}')
    return x, y, w, h


def cub_box_to_xyxy(x: float, y: float, w: float, h: float) -> Box:
    """Community conversion of a CUB ``x y w h`` box to ``x0,y0,x1,y1``.

    Args:
        x (float): Left.
        y (float): Top.
        w (float): Width.
        h (float): Height.

    Returns:
        tuple[int, int, int, int]: ``(int(x), int(y), int(x + w),
        int(y + h))``, e.g. ``(60.0, 27.0, 325.0, 304.0) -> (60, 27, 385,
        331)``.
    """
    return int(x), int(y), int(x + w), int(y + h)


def read_class_names(cub_root: str) -> Optional[List[str]]:
    """Class names from ``classes.txt`` (``id name``, ids 1..K), if present.

    Args:
        cub_root (str): The ``CUB_200_2011`` folder.

    Returns:
        list[str] | None: Names in label order, or None without the file.

    Raises:
        CUBFormatError: For malformed lines or ids that are not 1..K.
    """
    path = osp.join(cub_root, CUB_FILES['classes'])
    if not osp.isfile(path):
        return None
    table = read_id_table(path, 1, lambda v: v[0].strip(), last_is_rest=True)
    ids = sorted(table)
    if ids != list(range(1, len(ids) + 1)):
        raise CUBFormatError(
            f'{path}: class ids must be 1..{len(ids)}, got {ids[:5]}...'
        )
    return [table[i][1] for i in ids]


def read_cub_records(cub_root: str) -> List[CUBRecord]:
    """Read and cross-check the four CUB annotation files.

    Args:
        cub_root (str): The ``CUB_200_2011`` folder.

    Returns:
        list[CUBRecord]: One record per image, in ascending id order.

    Raises:
        FileNotFoundError: If a file is missing.
        CUBFormatError: For malformed lines, ids missing from a file or
            unknown to ``images.txt``, or labels above the number of classes
            in ``classes.txt``.
    """
    paths = {k: osp.join(cub_root, v) for k, v in CUB_FILES.items()}
    images = read_id_table(paths['images'], 1, _parse_path, last_is_rest=True)
    tables = {
        'labels': read_id_table(paths['labels'], 1, _parse_label),
        'split': read_id_table(paths['split'], 1, _parse_is_train),
        'boxes': read_id_table(paths['boxes'], 4, _parse_box),
    }
    for key, table in tables.items():
        for image_id, (lineno, _) in table.items():
            if image_id not in images:
                raise CUBFormatError(
                    f'{paths[key]}, line {lineno}: id {image_id} is not in '
                    f'{paths["images"]}'
                )
        missing = sorted(set(images) - set(table))
        if missing:
            lineno = images[missing[0]][0]
            raise CUBFormatError(
                f'{paths[key]}: no line for id {missing[0]} ({paths["images"]}'
                f', line {lineno}){" and others" if len(missing) > 1 else ""}'
            )
    names = read_class_names(cub_root)
    records = []
    for image_id in sorted(images):
        label_line, label = tables['labels'][image_id]
        if names is not None and label > len(names):
            raise CUBFormatError(
                f'{paths["labels"]}, line {label_line}: class label {label} '
                f'is not in {paths["classes"]} (1..{len(names)})'
            )
        box_line, box = tables['boxes'][image_id]
        records.append(
            CUBRecord(
                image_id=image_id,
                path=images[image_id][1],
                label=label - 1,
                is_train=tables['split'][image_id][1],
                box=cub_box_to_xyxy(*box),
                box_line=box_line,
            )
        )
    return records


# --------------------------------------------------------------------------
# Splits, sizes, masks
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------
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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Convert CUB-200-2011 to wsolevaluation metadata.'
    )
    parser.add_argument(
        '--cub-root',
        required=True,
        help='the CUB_200_2011 folder of the release',
    )
    parser.add_argument(
        '--out',
        required=True,
        help='metadata output folder, e.g. metadata/CUB',
    )
    parser.add_argument(
        '--segmentations',
        default=None,
        help='CUB segmentations folder (masks for val/test)',
    )
    parser.add_argument(
        '--mask-out',
        default=None,
        help='where binarised masks go (default: OUT/masks)',
    )
    parser.add_argument(
        '--mask-threshold',
        type=int,
        default=127,
        help='segmentation foreground is value > this',
    )
    parser.add_argument(
        '--val-per-class',
        type=int,
        default=0,
        help='val images carved per class from train '
        '(default: 0, no val split)',
    )
    parser.add_argument(
        '--keep-val-in-train',
        action='store_true',
        help='keep the carved val images in train too',
    )
    parser.add_argument(
        '--no-sizes',
        action='store_true',
        help='do not read the images; image_sizes.txt empty',
    )
    parser.add_argument(
        '--clip-boxes',
        action='store_true',
        help='clip boxes leaving the image instead of failing',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the converter.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: Exit status.
    """
    args = parse_args(argv)
    try:
        counts = convert_cub(
            args.cub_root,
            args.out,
            segmentations=args.segmentations,
            val_per_class=args.val_per_class,
            read_sizes=not args.no_sizes,
            mask_out=args.mask_out,
            mask_threshold=args.mask_threshold,
            keep_val_in_train=args.keep_val_in_train,
            clip_boxes=args.clip_boxes,
        )
    except (OSError, ValueError) as err:
        print(f'cub: error: {err}', file=sys.stderr)
        return 1
    summary = ', '.join(f'{split} {n}' for split, n in counts.items())
    print(f'Wrote CUB metadata ({summary} images) to {args.out}.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
