"""Reading the lines and fields of one WSOL metadata file.

The low-level half of :mod:`mmwsol.datasets.metadata`: non-blank lines
with their 1-based numbers, comma separated fields, integer / finite float
fields, and a :class:`ValueError` that names the file and the line.
"""

import math
import os.path as osp
from typing import List, Optional, Tuple


def read_lines(path: str) -> List[Tuple[int, str]]:
    """Read the non-blank lines of a metadata file.

    Args:
        path (str): Path of the text file.

    Returns:
        list[tuple[int, str]]: ``(line_number, text)`` pairs, 1-based line
        numbers, the text stripped of surrounding white space (``\\r\\n``
        line endings included). Blank lines are left out.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'WSOL metadata file not found: {path}')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line:
            lines.append((number, line))
    return lines


def line_error(path: str, number: int, message: str) -> ValueError:
    """Build a :class:`ValueError` that names the file and the line."""
    return ValueError(f'{path}, line {number}: {message}')


def split_fields(
    path: str, number: int, line: str, num_fields: int
) -> List[str]:
    """Split a line at commas and check its number of fields."""
    fields = [field.strip() for field in line.split(',')]
    if len(fields) != num_fields:
        raise line_error(
            path,
            number,
            f'expected {num_fields} comma separated fields, '
            f'got {len(fields)}: {line!r}',
        )
    if not fields[0]:
        raise line_error(path, number, f'empty image id: {line!r}')
    return fields


def int_field(path: str, number: int, text: str, what: str) -> int:
    """Parse an integer field, with an error naming file and line."""
    try:
        return int(text)
    except ValueError:
        raise line_error(
            path, number, f'{what} must be an integer, got {text!r}'
        ) from None


def float_field(path: str, number: int, text: str, what: str) -> float:
    """Parse a finite float field, with an error naming file and line."""
    try:
        value = float(text)
    except ValueError:
        raise line_error(
            path, number, f'{what} must be a number, got {text!r}'
        ) from None
    if not math.isfinite(value):
        raise line_error(path, number, f'{what} must be finite, got {text!r}')
    return value


def check_known_id(
    path: str, number: int, image_id: str, known: Optional[set]
) -> None:
    """Check that ``image_id`` is listed in ``image_ids.txt``."""
    if known is not None and image_id not in known:
        raise line_error(
            path,
            number,
            f'unknown image id {image_id!r} (not listed in image_ids.txt)',
        )
