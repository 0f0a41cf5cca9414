"""Saved score map files: where they are, loading and checking, resizing.

Layout (the one of wsolevaluation's ``evaluate_wsol``): one ``.npy`` file
per image at ``<scoremap_dir>/<image_id>.npy``, each a 2-D float map in
``[0, 1]``. See :mod:`mmwsol.evaluation.offline` for the protocol.
"""

import os
import os.path as osp
import warnings
from typing import List, Sequence

import cv2
import numpy as np

#: Suffix appended to an image id to name its score map file.
SCOREMAP_SUFFIX = '.npy'
#: The evaluation size ``(H, W)`` of the protocol.
PROTOCOL_MAP_SIZE = (224, 224)
#: How maps of another size are brought back to ``[0, 1]`` after resizing.
RESIZE_NORMS = ('minmax', 'clip')

_MAX_LISTED = 5


def short_listing(names: Sequence[str]) -> str:
    """The first few names, for messages."""
    shown = ', '.join(repr(n) for n in names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f' and {more} more' if more > 0 else '')


def scoremap_path(scoremap_dir: str, image_id: str) -> str:
    """Path of the score map of an image: ``<dir>/<image_id>.npy``.

    Args:
        scoremap_dir (str): Folder of the maps.
        image_id (str): The line of ``image_ids.txt``.

    Returns:
        str: The path.
    """
    return osp.join(scoremap_dir, image_id + SCOREMAP_SUFFIX)


def list_scoremap_ids(scoremap_dir: str) -> List[str]:
    """Image ids of all ``.npy`` files under a folder (recursively).

    Args:
        scoremap_dir (str): Folder of the maps.

    Returns:
        list[str]: Sorted ids (relative paths with ``/`` separators, the
        ``.npy`` suffix removed).
    """
    ids = []
    for folder, _, files in os.walk(scoremap_dir):
        for name in files:
            if name.endswith(SCOREMAP_SUFFIX):
                rel = osp.relpath(osp.join(folder, name), scoremap_dir)
                ids.append(rel.replace(os.sep, '/')[: -len(SCOREMAP_SUFFIX)])
    return sorted(ids)


def check_scoremap_files(
    scoremap_dir: str, image_ids: Sequence[str]
) -> List[str]:
    """Check that every image has a map; warn about maps of no image.

    Args:
        scoremap_dir (str): Folder of the maps.
        image_ids (Sequence[str]): The ids of ``image_ids.txt``.

    Returns:
        list[str]: The ids of the extra maps (not in ``image_ids``).

    Raises:
        FileNotFoundError: If the folder or a map is missing, naming the
            missing files and how many there are.
    """
    if not osp.isdir(scoremap_dir):
        raise FileNotFoundError(f'Score map folder not found: {scoremap_dir}')
    missing = [
        scoremap_path(scoremap_dir, i)
        for i in image_ids
        if not osp.isfile(scoremap_path(scoremap_dir, i))
    ]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(image_ids)} score maps are missing '
            f'(expected <image_id>{SCOREMAP_SUFFIX} under {scoremap_dir}): '
            f'{short_listing(missing)}'
        )
    known = set(image_ids)
    extra = [i for i in list_scoremap_ids(scoremap_dir) if i not in known]
    if extra:
        warnings.warn(
            f'{len(extra)} score map(s) under {scoremap_dir} belong to no '
            f'image of the metadata and are ignored: '
            f'{short_listing([i + SCOREMAP_SUFFIX for i in extra])}'
        )
    return extra


def load_scoremap(path: str) -> np.ndarray:
    """Load and check one saved score map.

    Args:
        path (str): Path of a ``.npy`` file.

    Returns:
        np.ndarray: The 2-D map (float32 or float64, as saved; integer and
        bool maps are converted to float64), values in ``[0, 1]``.

    Raises:
        ValueError: If the file cannot be read as a numeric array, is not
            2-D or empty, holds NaN or infinite values, or values outside
            ``[0, 1]``; the message names the file.
    """
    try:
        scoremap = np.load(path, allow_pickle=False)
    except Exception as error:  # corrupt file, pickled object, ...
        raise ValueError(
            f'Cannot read score map {path}: {type(error).__name__}: {error}'
        ) from error
    if (
        not isinstance(scoremap, np.ndarray)
        or scoremap.dtype.kind not in 'biuf'
    ):
        raise ValueError(
            f'Score map {path} must be a real numeric array, '
            f'got dtype {getattr(scoremap, "dtype", None)}'
        )
    if scoremap.ndim != 2:
        raise ValueError(
            f'Score map {path} must be 2-D (H, W), got shape {scoremap.shape}'
        )
    if scoremap.size == 0:
        raise ValueError(f'Score map {path} is empty: shape {scoremap.shape}')
    if scoremap.dtype.kind != 'f':
        scoremap = scoremap.astype(np.float64)
    num_nan = int(np.isnan(scoremap).sum())
    if num_nan:
        raise ValueError(f'Score map {path} holds {num_nan} NaN value(s)')
    low, high = float(scoremap.min()), float(scoremap.max())
    if not (0 <= low and high <= 1):
        raise ValueError(
            f'Score map {path} must have values in [0, 1], got '
            f'the range [{low}, {high}]'
        )
    return scoremap


def resize_scoremap(
    scoremap: np.ndarray,
    size: Sequence[int] = PROTOCOL_MAP_SIZE,
    resize_norm: str = 'minmax',
) -> np.ndarray:
    """Bring a map to the evaluation size.

    A map of that size is returned unchanged. Another map is resized with
    OpenCV ``INTER_CUBIC`` (in float64), then min-max normalised
    (``'minmax'``, a constant map becomes zeros) or clipped to ``[0, 1]``
    (``'clip'``). With ``'minmax'`` a constant input map becomes all zeros
    (as mmwsol's localizers and the community's ``normalize_scoremap`` treat
    constant maps).

    Args:
        scoremap (np.ndarray): 2-D map in ``[0, 1]``.
        size (Sequence[int]): ``(H, W)``. Defaults to ``(224, 224)``.
        resize_norm (str): ``'minmax'`` or ``'clip'``. Defaults to
            ``'minmax'``.

    Returns:
        np.ndarray: The ``(H, W)`` map in ``[0, 1]``.
    """
    if resize_norm not in RESIZE_NORMS:
        raise ValueError(
            f'Unknown resize_norm {resize_norm!r}, choose from {RESIZE_NORMS}'
        )
    height, width = (int(s) for s in size)
    if scoremap.shape == (height, width):
        return scoremap
    resized = cv2.resize(
        np.asarray(scoremap, dtype=np.float64),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    if resize_norm == 'clip':
        return np.clip(resized, 0.0, 1.0)
    # a constant map is an empty prediction; testing the input, not the
    # output, keeps the resize's rounding noise from being stretched to 0/1
    if scoremap.min() == scoremap.max():
        return np.zeros_like(resized)
    low, high = resized.min(), resized.max()
    return np.clip((resized - low) / (high - low), 0.0, 1.0)
