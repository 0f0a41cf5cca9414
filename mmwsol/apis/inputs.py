"""Which images an inference input names: a file, a folder or a list."""

import os
import os.path as osp
from typing import List, Tuple

#: File extensions read as images.
IMG_EXTENSIONS = (
    '.jpg',
    '.jpeg',
    '.png',
    '.ppm',
    '.bmp',
    '.pgm',
    '.tif',
    '.tiff',
    '.webp',
)


class ListFileError(ValueError):
    """A malformed line of a list file (the message names file:line)."""


def is_image_file(path: str) -> bool:
    """Whether a path has an image extension."""
    return path.lower().endswith(IMG_EXTENSIONS)


def folder_images(folder: str) -> List[Tuple[str, str]]:
    """The image files under a folder, recursively.

    Args:
        folder (str): The folder.

    Returns:
        list[tuple[str, str]]: ``(path, path relative to the folder)``,
        sorted by the relative path.
    """
    items = []
    for root, _, files in os.walk(folder, followlinks=True):
        for name in files:
            if is_image_file(name):
                path = osp.join(root, name)
                items.append((path, osp.relpath(path, folder)))
    return sorted(items, key=lambda item: item[1].split(os.sep))


def collect_inputs(source: str) -> List[Tuple[str, str, str]]:
    """The images of an input: an image file, a folder or a list file.

    A list file (any file without an image extension) holds one image path
    per line, relative to the list file's folder; empty lines and ``#``
    comments are skipped.

    Args:
        source (str): An image file, a folder or a list file.

    Returns:
        list[tuple[str, str, str]]: ``(path, relative name, origin)`` per
        image; ``origin`` is ``list.txt:LINE`` for list entries, else the
        path.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ListFileError: A list line does not name an image file.
    """
    if osp.isdir(source):
        return [(p, rel, p) for p, rel in folder_images(source)]
    if not osp.isfile(source):
        raise FileNotFoundError(f'INPUT not found: {source}')
    if is_image_file(source):
        return [(source, osp.basename(source), source)]
    base = osp.dirname(osp.abspath(source))
    items = []
    with open(source) as f:
        for lineno, line in enumerate(f, 1):
            entry = line.strip()
            if not entry or entry.startswith('#'):
                continue
            origin = f'{source}:{lineno}'
            if not is_image_file(entry):
                raise ListFileError(
                    f'{origin}: {entry!r} is not an image file name '
                    f'(one image path per line, extensions '
                    f'{", ".join(IMG_EXTENSIONS)})'
                )
            path = entry if osp.isabs(entry) else osp.join(base, entry)
            rel = osp.normpath(entry)
            if osp.isabs(rel) or rel.startswith('..'):
                rel = rel.lstrip(os.sep).replace('..', '__')
            items.append((path, rel, origin))
    return items
