"""The geometry record: where the test pipeline put the original pixels.

The metrics evaluate GT boxes in the geometry of the maps. The community
protocol resizes the whole image to the map size (``Resize(224, 224)``),
so the metrics can rescale the original boxes with ``int(x * W / w)``. Any
other pipeline (``ResizeEdge`` + ``CenterCrop``, a flip...) must say where
the original pixels went. :class:`LoadWSOLAnnotations` starts a record in
``results['wsol_geometry']`` and every geometric transform of mmwsol
(``Resize``, ``ResizeEdge``, ``CenterCrop``, ``RandomCrop``,
``RandomFlip``) updates it; :class:`PackWSOLInputs` packs it into the data
sample. Per axis the record is an affine map of original pixel
coordinates, ``x_input = sx * x + ox`` and ``y_input = sy * y + oy``,
applied the way the transforms move pixel-inclusive boxes (a resize scales
them, a crop shifts them, a flip maps ``x`` to ``w - 1 - x``), with the
output ``shape`` ``(h, w)``.

A transform that moves pixels without updating the record cannot be
tracked. :func:`untracked_transforms` names them in a pipeline (the
dataset stores the list in its ``metainfo``, the metrics refuse to
evaluate it); :func:`check_geometry_shape` catches at packing time a shape
change that no record explains.
"""

from typing import Any, Dict, List, Optional, Sequence

#: Key of the record in the pipeline results and in the data sample.
GEOMETRY_KEY = 'wsol_geometry'
#: Key of the untracked transforms in a dataset's metainfo.
UNTRACKED_KEY = 'wsol_untracked_transforms'

#: Transforms of MMCV / mmpretrain that do not move pixels (photometric,
#: loading, packing); matched by class name and package.
NO_GEOMETRY_TRANSFORMS = {
    'mmcv': (
        'LoadImageFromFile',
        'Normalize',
        'ToTensor',
        'ImageToTensor',
        'RandomGrayscale',
    ),
    'mmpretrain': (
        'PackInputs',
        'Collect',
        'ColorJitter',
        'Lighting',
        'GaussianBlur',
        'RandomErasing',
        'AutoContrast',
        'Invert',
        'Equalize',
        'Solarize',
        'SolarizeAdd',
        'Posterize',
        'Contrast',
        'ColorTransform',
        'Brightness',
        'Sharpness',
        'Cutout',
        'NumpyToPIL',
        'PILToNumpy',
    ),
}


def init_geometry(height: int, width: int) -> dict:
    """The identity record of an image of ``(height, width)``."""
    return dict(
        scale=(1.0, 1.0), offset=(0.0, 0.0), shape=(int(height), int(width))
    )


def _update(results: dict, **changes) -> None:
    """Replace fields of the record in ``results`` (if there is one)."""
    geometry = results.get(GEOMETRY_KEY)
    if geometry is not None:
        results[GEOMETRY_KEY] = dict(geometry, **changes)


def record_resize(results: dict, w_scale: float, h_scale: float) -> None:
    """Record a resize by ``(w_scale, h_scale)`` to ``results['img']``.

    Args:
        results (dict): Pipeline results after the resize.
        w_scale (float): Factor of x coordinates.
        h_scale (float): Factor of y coordinates.
    """
    geometry = results.get(GEOMETRY_KEY)
    if geometry is None:
        return
    (sx, sy), (ox, oy) = geometry['scale'], geometry['offset']
    _update(
        results,
        scale=(sx * w_scale, sy * h_scale),
        offset=(ox * w_scale, oy * h_scale),
        shape=tuple(int(v) for v in results['img'].shape[:2]),
    )


def record_crop(results: dict, x_offset: float, y_offset: float) -> None:
    """Record a crop whose top-left pixel was ``(x_offset, y_offset)``.

    Args:
        results (dict): Pipeline results after the crop (``img`` is the
            cropped image).
        x_offset (float): Left column of the crop in the image before it
            (negative when the image was padded on the left).
        y_offset (float): Top row of the crop, likewise.
    """
    geometry = results.get(GEOMETRY_KEY)
    if geometry is None:
        return
    ox, oy = geometry['offset']
    _update(
        results,
        offset=(ox - x_offset, oy - y_offset),
        shape=tuple(int(v) for v in results['img'].shape[:2]),
    )


def record_flip(results: dict, direction: str) -> None:
    """Record a flip of the image (pixel ``x`` goes to ``w - 1 - x``).

    Args:
        results (dict): Pipeline results after the flip.
        direction (str): ``'horizontal'``, ``'vertical'`` or
            ``'diagonal'``.
    """
    geometry = results.get(GEOMETRY_KEY)
    if geometry is None:
        return
    height, width = geometry['shape']
    (sx, sy), (ox, oy) = geometry['scale'], geometry['offset']
    if direction in ('horizontal', 'diagonal'):
        sx, ox = -sx, width - 1 - ox
    if direction in ('vertical', 'diagonal'):
        sy, oy = -sy, height - 1 - oy
    _update(results, scale=(sx, sy), offset=(ox, oy))


def check_geometry_shape(results: dict) -> Optional[dict]:
    """The record to pack, marked ``untracked`` if the image disagrees.

    Args:
        results (dict): Pipeline results at packing time.

    Returns:
        dict | None: The record (None without one), with ``tracked`` False
        when the image's shape differs from the recorded one: some
        transform changed the image without updating the record.
    """
    geometry = results.get(GEOMETRY_KEY)
    if geometry is None:
        return None
    img = results.get('img')
    shape = getattr(img, 'shape', None)
    tracked = geometry.get('tracked', True)
    if shape is not None and tuple(shape[:2]) != tuple(geometry['shape']):
        tracked = False
    return dict(geometry, tracked=tracked)


def is_plain_resize(geometry: dict) -> bool:
    """Whether a record is a resize of the whole image, nothing else.

    That is the community protocol, whose boxes are rescaled with
    ``int(x * W / w)`` from the original ones.
    """
    (sx, sy), (ox, oy) = geometry['scale'], geometry['offset']
    return sx > 0 and sy > 0 and ox == 0 and oy == 0


def _package(transform: Any) -> str:
    return type(transform).__module__.split('.')[0]


def transform_geometry(transform: Any) -> str:
    """How a transform treats the geometry record.

    Args:
        transform (Any): A built transform.

    Returns:
        str: ``'tracked'`` (it updates the record), ``'none'`` (it does not
        move pixels) or ``'untracked'``. A transform class declares the
        first two with a class attribute ``wsol_geometry``; MMCV's and
        mmpretrain's transforms in :data:`NO_GEOMETRY_TRANSFORMS` are
        ``'none'``.
    """
    declared = getattr(type(transform), 'wsol_geometry', None)
    if declared in ('tracked', 'none'):
        return declared
    names = NO_GEOMETRY_TRANSFORMS.get(_package(transform), ())
    if type(transform).__name__ in names:
        return 'none'
    return 'untracked'


def untracked_transforms(transforms: Sequence[Any]) -> List[Dict[str, Any]]:
    """The transforms of a pipeline whose effect on boxes is unknown.

    Args:
        transforms (Sequence): The built transforms, in pipeline order.

    Returns:
        list[dict]: ``index`` (position in the pipeline) and ``type``
        (``package.ClassName``) of each untracked transform.
    """
    return [
        dict(index=i, type=f'{_package(t)}.{type(t).__name__}')
        for i, t in enumerate(transforms)
        if transform_geometry(t) == 'untracked'
    ]


def describe_untracked(untracked: Sequence[dict]) -> str:
    """A message naming untracked transforms and what to do."""
    names = ', '.join(
        f'pipeline[{u["index"]}] (type {u["type"]!r}: config key '
        f'`test_dataloader.dataset.pipeline[{u["index"]}]`, or '
        f"val_dataloader's)"
        for u in untracked
    )
    return (
        f"The evaluated dataset's {names} may move pixels in a way the "
        'metric cannot apply to the GT boxes and masks, so their '
        "numbers would be wrong. Use mmwsol's Resize, ResizeEdge, "
        'CenterCrop, RandomCrop or RandomFlip (plain type names with '
        "default_scope='mmwsol'), which record their geometry, or give "
        'a transform class that moves no pixel the attribute '
        "wsol_geometry = 'none'."
    )
