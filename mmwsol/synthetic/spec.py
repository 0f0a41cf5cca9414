"""Parameters of the synthetic dataset: classes, colours, shapes, checks.

Everything else in :mod:`mmwsol.synthetic` reads its defaults from
:class:`SyntheticSpec` (and :data:`SYNTHETIC_DEFAULTS`, the same values as a
plain dict for configs and the command line).
"""

import json
from dataclasses import asdict, dataclass, fields
from typing import Dict, List, Tuple

import numpy as np

#: Bumped whenever the drawing code changes the pixels for the same seed.
GENERATOR_VERSION = 1
_GENERATOR_NAME = 'mmwsol.synthetic'
#: Names recorded in meta.json by earlier versions (same pixels).
_LEGACY_GENERATOR_NAMES = ('mmwsol.datasets.synthetic',)
SPLITS = ('train', 'val', 'test')
_SPLIT_CODE = {'train': 0, 'val': 1, 'test': 2}
_MASK_SPLITS = ('val', 'test')

#: Class colours of the discriminative part (RGB), all saturated so that
#: none of them occurs in the muted background or in the body texture.
PART_COLORS: Dict[str, Tuple[int, int, int]] = {
    'red': (225, 25, 30),
    'green': (20, 185, 45),
    'blue': (35, 70, 230),
    'yellow': (245, 220, 20),
    'magenta': (215, 35, 205),
    'cyan': (20, 205, 215),
    'orange': (250, 135, 10),
    'white': (250, 250, 250),
}
PART_SHAPES = (
    'circle',
    'square',
    'triangle',
    'cross',
    'diamond',
    'ring',
    'star',
    'bar',
)
_MAX_CLASSES = len(PART_COLORS) * len(PART_SHAPES)


@dataclass(frozen=True)
class SyntheticSpec:
    """Parameters of the synthetic dataset; the defaults are the demo set.

    Configs, the command line tool and the tests all read their defaults from
    here (see :data:`SYNTHETIC_DEFAULTS`).

    Args:
        num_classes (int): Number of classes (1 to 64).
        num_train (int): Training images **per class**.
        num_val (int): Validation (train-fullsup) images per class.
        num_test (int): Test images per class.
        image_size (tuple[int, int]): Nominal ``(width, height)``.
        size_jitter (float): When > 0, each image's width and height are
            drawn independently from ``size * U(1 - j, 1 + j)``, so images
            have varied, non-square sizes.
        object_scale (tuple[float, float]): Range of the object's box area
            as a fraction of the image area (single-instance images).
        aspect_ratio (tuple[float, float]): Range of the box aspect ratio
            ``w / h``, sampled log-uniformly.
        part_fraction (tuple[float, float]): Range of the part area as a
            fraction of the body area.
        two_instance_prob (float): Probability of two instances of the class
            (each then gets ``two_instance_scale``).
        two_instance_scale (tuple[float, float]): Box area range of each of
            two instances, as a fraction of the image area.
        num_clutter (tuple[int, int]): Inclusive range of the number of
            background clutter shapes.
        num_decoys (tuple[int, int]): Inclusive range of the number of body
            texture fragments in the background.
        noise_std (float): Standard deviation of the pixel noise (0-255).
        ignore_band (int): Width in pixels of the band outside the object
            written as "ignore" (0: ignore masks are all zeros).
        seed (int): Seed of the whole set.
    """

    num_classes: int = 6
    num_train: int = 100
    num_val: int = 20
    num_test: int = 30
    image_size: Tuple[int, int] = (128, 128)
    size_jitter: float = 0.0
    object_scale: Tuple[float, float] = (0.15, 0.6)
    aspect_ratio: Tuple[float, float] = (0.5, 2.0)
    part_fraction: Tuple[float, float] = (0.05, 0.10)
    two_instance_prob: float = 0.1
    two_instance_scale: Tuple[float, float] = (0.08, 0.22)
    num_clutter: Tuple[int, int] = (4, 9)
    num_decoys: Tuple[int, int] = (0, 2)
    noise_std: float = 6.0
    ignore_band: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        _validate_spec(self)


def _validate_spec(spec: SyntheticSpec) -> None:
    """Raise ``ValueError`` for parameters that cannot make a dataset."""
    if not 1 <= spec.num_classes <= _MAX_CLASSES:
        raise ValueError(
            f'num_classes must be in [1, {_MAX_CLASSES}], '
            f'got {spec.num_classes}'
        )
    for name in ('num_train', 'num_val', 'num_test', 'ignore_band', 'seed'):
        if getattr(spec, name) < 0:
            raise ValueError(f'{name} must be >= 0, got {getattr(spec, name)}')
    width, height = spec.image_size
    if min(width, height) < 32:
        raise ValueError(
            f'image_size must be at least 32x32, got {spec.image_size}'
        )
    if not 0 <= spec.size_jitter < 0.5:
        raise ValueError(
            f'size_jitter must be in [0, 0.5), got {spec.size_jitter}'
        )
    if not 0 <= spec.two_instance_prob <= 1:
        raise ValueError(
            'two_instance_prob must be in [0, 1], got '
            f'{spec.two_instance_prob}'
        )
    for name in ('object_scale', 'part_fraction', 'two_instance_scale'):
        low, high = getattr(spec, name)
        if not 0 < low <= high < 1:
            raise ValueError(
                f'{name} must satisfy 0 < low <= high < 1, got {(low, high)}'
            )
    low, high = spec.aspect_ratio
    if not 0 < low <= high:
        raise ValueError(
            f'aspect_ratio must satisfy 0 < low <= high, got {(low, high)}'
        )
    for name in ('num_clutter', 'num_decoys'):
        low, high = getattr(spec, name)
        if not 0 <= low <= high:
            raise ValueError(
                f'{name} must satisfy 0 <= low <= high, got {(low, high)}'
            )


#: The demo defaults as a plain dict (for configs and the command line).
SYNTHETIC_DEFAULTS: Dict[str, object] = asdict(SyntheticSpec())


def class_names(num_classes: int) -> List[str]:
    """Names ``<colour>_<shape>`` of the first ``num_classes`` classes.

    Class ``i`` has part colour ``i % 8`` and part shape ``(i + i // 8) % 8``
    so that the first 8 classes differ in both colour and shape, and all 64
    (colour, shape) pairs are distinct.

    Args:
        num_classes (int): Number of classes, 1 to 64.

    Returns:
        list[str]: The class names, e.g. ``['red_circle', 'green_square']``.
    """
    if not 1 <= num_classes <= _MAX_CLASSES:
        raise ValueError(
            f'num_classes must be in [1, {_MAX_CLASSES}], got {num_classes}'
        )
    colors = list(PART_COLORS)
    return [
        f'{colors[i % len(colors)]}_'
        f'{PART_SHAPES[(i + i // len(colors)) % len(PART_SHAPES)]}'
        for i in range(num_classes)
    ]


def class_dirs(num_classes: int) -> List[str]:
    """Folder names ``<index:03d>_<name>`` of the classes.

    Args:
        num_classes (int): Number of classes.

    Returns:
        list[str]: e.g. ``['000_red_circle', '001_green_square']``.
    """
    names = class_names(num_classes)
    return [f'{i:03d}_{name}' for i, name in enumerate(names)]


def resolve_params(**overrides) -> Dict[str, object]:
    """Full, JSON-ready parameters: the defaults updated by ``overrides``.

    Args:
        **overrides: Any :class:`SyntheticSpec` field. ``image_size`` may be
            an int (square) or ``(width, height)``.

    Returns:
        dict: All fields, tuples as lists (as they are stored in
        ``meta.json``).

    Raises:
        TypeError: For an unknown parameter name.
        ValueError: For an invalid value.
    """
    return json.loads(json.dumps(asdict(_make_spec(**overrides))))


def _make_spec(**overrides) -> SyntheticSpec:
    """Build a validated :class:`SyntheticSpec` from keyword overrides."""
    known = {f.name for f in fields(SyntheticSpec)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(
            f'unknown synthetic dataset parameter(s) {unknown}; '
            f'known: {sorted(known)}'
        )
    values = {k: v for k, v in overrides.items() if v is not None}
    size = values.get('image_size')
    if isinstance(size, (int, np.integer)):
        values['image_size'] = (int(size), int(size))
    for f in fields(SyntheticSpec):
        if f.name in values and isinstance(values[f.name], list):
            values[f.name] = tuple(values[f.name])
    if 'image_size' in values:
        values['image_size'] = tuple(int(v) for v in values['image_size'])
        if len(values['image_size']) != 2:
            raise ValueError(
                f'image_size must be an int or (width, height), got {size}'
            )
    return SyntheticSpec(**values)
