"""Parsers of the WSOL metadata format (the ``wsolevaluation`` layout).

A split is described by a folder of small text files:

* ``image_ids.txt``: one image path (relative to the image root) a line.
* ``class_labels.txt``: ``path,label`` a line.
* ``image_sizes.txt``: ``path,w,h`` a line (optional, may be empty).
* a localization file (usually ``localization.txt``), either

  - boxes: ``path,x0,y0,x1,y1`` a line, pixel-inclusive corners in the
    original image; a path repeated on several lines has several boxes; or
  - masks: ``path,mask.png,ignore.png`` a line; more lines for the same
    path add instance masks and leave the third field empty.

Files may lack a trailing newline; blank lines are skipped. Every function
here is pure (it only reads the given file) and raises a
:class:`FileNotFoundError` naming the path of a missing file or a
:class:`ValueError` naming the file and the 1-based line number of a
malformed line.
"""

import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .metadata_fields import (
    check_known_id,
    float_field,
    int_field,
    line_error,
    read_lines,
    split_fields,
)

#: Number of comma separated fields of a box line and of a mask line.
BOX_FIELDS = 5
MASK_FIELDS = 3


def parse_image_ids(path: str) -> List[str]:
    """Parse ``image_ids.txt``.

    Args:
        path (str): Path of the file.

    Returns:
        list[str]: The image ids in file order.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a duplicate image id, a line with a comma or a file
            without image ids (an empty split, named by its folder).
    """
    image_ids = []
    first_seen: Dict[str, int] = {}
    for number, line in read_lines(path):
        if ',' in line:
            raise line_error(
                path, number, f'an image id line holds one path, got {line!r}'
            )
        if line in first_seen:
            raise line_error(
                path,
                number,
                f'duplicate image id {line!r} (first on line '
                f'{first_seen[line]})',
            )
        first_seen[line] = number
        image_ids.append(line)
    if not image_ids:
        split = osp.basename(osp.dirname(osp.abspath(path)))
        raise ValueError(f'{path}: no image ids, the split {split!r} is empty')
    return image_ids


def parse_class_labels(
    path: str,
    image_ids: Optional[Sequence[str]] = None,
    num_classes: Optional[int] = None,
) -> Dict[str, int]:
    """Parse ``class_labels.txt`` (``path,label`` lines).

    Args:
        path (str): Path of the file.
        image_ids (Sequence[str], optional): The ids of ``image_ids.txt``.
            When given, every line must name one of them and every one of
            them must have a label. Defaults to None.
        num_classes (int, optional): When given, labels must be smaller.
            Defaults to None.

    Returns:
        dict[str, int]: Label of each image id.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a malformed line, a non-integer, negative or too large
            label, an unknown or duplicate image id, or an image without a
            label.
    """
    known = set(image_ids) if image_ids is not None else None
    labels: Dict[str, int] = {}
    first_seen: Dict[str, int] = {}
    for number, line in read_lines(path):
        image_id, label_text = split_fields(path, number, line, 2)
        check_known_id(path, number, image_id, known)
        if image_id in first_seen:
            raise line_error(
                path,
                number,
                f'duplicate label for image {image_id!r} '
                f'(first on line {first_seen[image_id]})',
            )
        label = int_field(path, number, label_text, 'class label')
        if label < 0:
            raise line_error(
                path, number, f'class label must be >= 0, got {label}'
            )
        if num_classes is not None and label >= num_classes:
            raise line_error(
                path,
                number,
                f'class label {label} out of range for '
                f'num_classes={num_classes}',
            )
        first_seen[image_id] = number
        labels[image_id] = label
    if image_ids is not None:
        missing = [i for i in image_ids if i not in labels]
        if missing:
            raise ValueError(
                f'{path}: {len(missing)} image id(s) of image_ids.txt have '
                f'no class label, e.g. {missing[0]!r}'
            )
    return labels


def parse_image_sizes(
    path: str, image_ids: Optional[Sequence[str]] = None
) -> Dict[str, Tuple[int, int]]:
    """Parse ``image_sizes.txt`` (``path,w,h`` lines).

    Images without a line simply have no known size.

    Args:
        path (str): Path of the file.
        image_ids (Sequence[str], optional): When given, every line must name
            one of them. Defaults to None.

    Returns:
        dict[str, tuple[int, int]]: ``(w, h)`` of each listed image.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a malformed line, a non-positive size or an unknown or
            duplicate image id.
    """
    known = set(image_ids) if image_ids is not None else None
    sizes: Dict[str, Tuple[int, int]] = {}
    first_seen: Dict[str, int] = {}
    for number, line in read_lines(path):
        image_id, w_text, h_text = split_fields(path, number, line, 3)
        check_known_id(path, number, image_id, known)
        if image_id in first_seen:
            raise line_error(
                path,
                number,
                f'duplicate size for image {image_id!r} '
                f'(first on line {first_seen[image_id]})',
            )
        w = int_field(path, number, w_text, 'width')
        h = int_field(path, number, h_text, 'height')
        if w <= 0 or h <= 0:
            raise line_error(
                path, number, f'image size must be positive, got w={w}, h={h}'
            )
        first_seen[image_id] = number
        sizes[image_id] = (w, h)
    return sizes


def detect_localization_format(path: str) -> Optional[str]:
    """Tell whether a localization file holds boxes or masks.

    The format of each line is told by its number of fields: 5 for a box
    line, 3 for a mask line.

    Args:
        path (str): Path of the file.

    Returns:
        str | None: ``'boxes'``, ``'masks'`` or None for a file without
        entries.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a line of neither format, or when box and mask lines
            are mixed (naming the first line that differs).
    """
    kinds = {BOX_FIELDS: 'boxes', MASK_FIELDS: 'masks'}
    found: Optional[str] = None
    first_number = 0
    for number, line in read_lines(path):
        num_fields = line.count(',') + 1
        kind = kinds.get(num_fields)
        if kind is None:
            raise line_error(
                path,
                number,
                'expected a box line "path,x0,y0,x1,y1" or a '
                f'mask line "path,mask,ignore", got {line!r}',
            )
        if found is None:
            found, first_number = kind, number
        elif kind != found:
            raise line_error(
                path,
                number,
                f'mixed localization formats: this line has '
                f'{kind}, line {first_number} has {found}',
            )
    return found


def parse_boxes(
    path: str, image_ids: Optional[Sequence[str]] = None
) -> Dict[str, np.ndarray]:
    """Parse a box localization file (``path,x0,y0,x1,y1`` lines).

    Coordinates are pixel-inclusive corners in the original image. They may
    be floats; they are not clipped here (the loading transform clips them to
    the image, with a warning).

    Args:
        path (str): Path of the file.
        image_ids (Sequence[str], optional): When given, every line must name
            one of them. Defaults to None.

    Returns:
        dict[str, np.ndarray]: For each image with boxes a float32 array of
        shape (N, 4), in file order.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a malformed line, a non-numeric or non-finite
            coordinate, ``x1 < x0`` or ``y1 < y0``, or an unknown image id.
    """
    known = set(image_ids) if image_ids is not None else None
    boxes: Dict[str, List[List[float]]] = {}
    for number, line in read_lines(path):
        fields = split_fields(path, number, line, BOX_FIELDS)
        image_id = fields[0]
        check_known_id(path, number, image_id, known)
        names = ('x0', 'y0', 'x1', 'y1')
        x0, y0, x1, y1 = [
            float_field(path, number, text, name)
            for text, name in zip(fields[1:], names)
        ]
        if x1 < x0 or y1 < y0:
            raise line_error(
                path,
                number,
                'box corners must satisfy x0 <= x1 and '
                f'y0 <= y1, got ({x0:g}, {y0:g}, {x1:g}, {y1:g})',
            )
        boxes.setdefault(image_id, []).append([x0, y0, x1, y1])
    return {
        image_id: np.asarray(value, dtype=np.float32).reshape(-1, 4)
        for image_id, value in boxes.items()
    }


def parse_masks(
    path: str, image_ids: Optional[Sequence[str]] = None
) -> Tuple[Dict[str, List[str]], Dict[str, Optional[str]]]:
    """Parse a mask localization file (``path,mask,ignore`` lines).

    The first line of an image gives its ignore mask (the field may be
    empty: no ignore mask); its further lines add instance masks and must
    leave the ignore field empty (or repeat the same ignore path).

    Args:
        path (str): Path of the file.
        image_ids (Sequence[str], optional): When given, every line must name
            one of them. Defaults to None.

    Returns:
        tuple[dict, dict]: ``mask_paths`` (image id -> list of mask paths, as
        written in the file) and ``ignore_paths`` (image id -> ignore path or
        None).

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On a malformed line, an empty mask field, a second ignore
            path for one image or an unknown image id.
    """
    known = set(image_ids) if image_ids is not None else None
    mask_paths: Dict[str, List[str]] = {}
    ignore_paths: Dict[str, Optional[str]] = {}
    first_seen: Dict[str, int] = {}
    for number, line in read_lines(path):
        image_id, mask_path, ignore_path = split_fields(
            path, number, line, MASK_FIELDS
        )
        check_known_id(path, number, image_id, known)
        if not mask_path:
            raise line_error(path, number, f'empty mask path: {line!r}')
        if image_id not in mask_paths:
            first_seen[image_id] = number
            mask_paths[image_id] = [mask_path]
            ignore_paths[image_id] = ignore_path or None
            continue
        if ignore_path and ignore_path != ignore_paths[image_id]:
            raise line_error(
                path,
                number,
                f'image {image_id!r} has one ignore mask, '
                f'given on line {first_seen[image_id]}; further instance '
                'lines must leave the third field empty',
            )
        mask_paths[image_id].append(mask_path)
    return mask_paths, ignore_paths


def parse_localization(
    path: str, image_ids: Optional[Sequence[str]] = None
) -> dict:
    """Parse a localization file of either format (auto-detected).

    Args:
        path (str): Path of the file.
        image_ids (Sequence[str], optional): When given, every line must name
            one of them. Defaults to None.

    Returns:
        dict: ``format`` (``'boxes'``, ``'masks'`` or None when the file has
        no entries), ``boxes`` (see :func:`parse_boxes`; empty for masks),
        ``mask_paths`` and ``ignore_paths`` (see :func:`parse_masks`; empty
        for boxes).
    """
    kind = detect_localization_format(path)
    result = dict(format=kind, boxes={}, mask_paths={}, ignore_paths={})
    if kind == 'boxes':
        result['boxes'] = parse_boxes(path, image_ids)
    elif kind == 'masks':
        mask_paths, ignore_paths = parse_masks(path, image_ids)
        result['mask_paths'] = mask_paths
        result['ignore_paths'] = ignore_paths
    return result
