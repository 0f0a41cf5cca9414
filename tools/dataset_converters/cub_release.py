"""Reading and cross-checking the annotation files of the CUB-200-2011
release (``images.txt``, ``image_class_labels.txt``, ``train_test_split.txt``,
``bounding_boxes.txt``, ``classes.txt``). Part of ``cub.py``, which
describes the conventions; malformed input raises :class:`CUBFormatError`
with ``file, line N: reason``.
"""

import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

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
