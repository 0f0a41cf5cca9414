"""Offline evaluation of saved score maps against WSOL metadata.

Score maps made by any code base are evaluated with the same metrics as
``tools/test.py`` (:class:`~mmwsol.evaluation.WSOLMetric` and
:class:`~mmwsol.evaluation.WSOLMaskMetric`): this module only turns a
metadata folder plus a folder of ``.npy`` maps into the per-sample dicts the
metrics' ``process`` expects, the way the test pipeline does online.

Layout of the maps (the one of wsolevaluation's ``evaluate_wsol``): one
``.npy`` file per image, at ``<scoremap_dir>/<image_id>.npy`` where
``image_id`` is the line of ``image_ids.txt`` (``a/b.jpg`` ->
``a/b.jpg.npy``). Each file holds a 2-D float map in ``[0, 1]``.

Protocol details:

- Maps of the evaluation size (224 x 224 in the protocol) are used as they
  are, like wsolevaluation's ``evaluate_wsol`` does (it never resizes a
  saved map and compares it with boxes rescaled to 224 x 224). Maps of
  another size are treated like raw CAMs: resized with OpenCV
  ``INTER_CUBIC`` (what wsolevaluation's ``CAMComputer`` does to the
  network's map before saving it, and mmwsol's localizers with torch
  ``bicubic``), then min-max normalised (a constant map becomes all zeros).
  Because the cubic resize is linear, this gives exactly the community's
  224 x 224 map for a low-resolution map that was min-max normalised before
  it was saved. ``resize_norm='clip'`` clips the cubic overshoot to
  ``[0, 1]`` instead.
- Strict checks, as wsolevaluation's ``check_scoremap_validity``: a map
  must be 2-D, free of NaN and in ``[0, 1]`` (the online metrics read NaN
  as 0 instead, since a model's NaN map is a valid empty prediction).
- GT boxes are rescaled by the metric from the original image size (from
  ``image_sizes.txt``, else read from the images) with ``int(x * W / w)``;
  they are first clipped to the image like ``LoadWSOLAnnotations`` does.
- GT masks are combined at the original size (instances OR-ed, ignore =
  ignore & ~foreground, :func:`~mmwsol.datasets.transforms.build_seg_map`)
  and resized to the map size with nearest neighbour, as MMCV's ``Resize``
  does in the test pipeline (equal to resizing each mask and taking
  ``> 0.5``).
"""

import json
import os
import os.path as osp
import tempfile
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.utils import track_iter_progress

from mmwsol.datasets.metadata import detect_localization_format
from mmwsol.datasets.transforms.loading import (
    LoadImageFromFile,
    LoadWSOLAnnotations,
    build_seg_map,
    read_mask,
)
from mmwsol.datasets.wsol_dataset import WSOLDataset

from .metrics.wsol_mask_metric import WSOLMaskMetric
from .metrics.wsol_metric import WSOLMetric

#: Suffix appended to an image id to name its score map file.
SCOREMAP_SUFFIX = '.npy'
#: The evaluation size ``(H, W)`` of the protocol.
PROTOCOL_MAP_SIZE = (224, 224)
#: How maps of another size are brought back to ``[0, 1]`` after resizing.
RESIZE_NORMS = ('minmax', 'clip')
#: Name of the optional mask file next to a box ``localization.txt``.
DEFAULT_MASK_FILE = 'localization_mask.txt'

_MAX_LISTED = 5


def _listing(names: Sequence[str]) -> str:
    """The first few names, for messages."""
    shown = ', '.join(repr(n) for n in names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f' and {more} more' if more > 0 else '')


# --------------------------------------------------------------------------
# Score map files
# --------------------------------------------------------------------------
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
            f'{_listing(missing)}'
        )
    known = set(image_ids)
    extra = [i for i in list_scoremap_ids(scoremap_dir) if i not in known]
    if extra:
        warnings.warn(
            f'{len(extra)} score map(s) under {scoremap_dir} belong to no '
            f'image of the metadata and are ignored: '
            f'{_listing([i + SCOREMAP_SUFFIX for i in extra])}'
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


# --------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------
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
                f'the metadata: {_listing(lacking)}'
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
            f'{_listing([infos[i]["img_id"] for i in lacking])}; give the '
            'image folder (--image-root) to read the sizes from the images'
        )
    indices = track_iter_progress(lacking) if progress else lacking
    for i in indices:
        infos[i]['img_size'] = read_image_size(infos[i]['img_path'])
    return infos


# --------------------------------------------------------------------------
# Per-sample dicts
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------
def build_offline_metrics(
    with_box: bool,
    with_mask: bool,
    interval: float = 0.01,
    box_mode: str = 'all',
    iou_thresholds: Optional[Sequence[float]] = None,
    box_curves_file: Optional[str] = None,
    mask_curves_file: Optional[str] = None,
) -> list:
    """The metric objects of an offline evaluation.

    Args:
        with_box (bool): Add a :class:`WSOLMetric`.
        with_mask (bool): Add a :class:`WSOLMaskMetric`.
        interval (float): CAM threshold step. Defaults to 0.01.
        box_mode (str): ``'all'`` (MaxBoxAccV2) or ``'largest'``
            (MaxBoxAcc, V1). Defaults to 'all'.
        iou_thresholds (Sequence[float], optional): IoU thresholds in
            percent; None: (30, 50, 70) for ``'all'``, (50, ) for
            ``'largest'`` (the paper's MaxBoxAcc).
        box_curves_file (str, optional): Curves file of the box metric.
        mask_curves_file (str, optional): Curves file of the mask metric.

    Returns:
        list: The metrics, box first.
    """
    metrics = []
    if with_box:
        if iou_thresholds is None:
            iou_thresholds = (30, 50, 70) if box_mode == 'all' else (50,)
        kwargs = dict(curves_file=box_curves_file) if box_curves_file else {}
        metrics.append(
            WSOLMetric(
                iou_thresholds=tuple(iou_thresholds),
                cam_curve_interval=interval,
                box_mode=box_mode,
                **kwargs,
            )
        )
    if with_mask:
        metrics.append(
            WSOLMaskMetric(
                cam_curve_interval=interval,
                classification=False,
                curves_file=mask_curves_file,
            )
        )
    return metrics


def evaluate_samples(metrics: Sequence, samples) -> Dict[str, float]:
    """Feed samples one by one to metrics and compute them.

    Args:
        metrics (Sequence): Metric objects (``process`` /
            ``compute_metrics``).
        samples (Iterable[dict]): Sample dicts.

    Returns:
        dict[str, float]: The merged metrics, without prefix.
    """
    for sample in samples:
        for metric in metrics:
            metric.process(None, [sample])
    results: Dict[str, float] = {}
    for metric in metrics:
        results.update(metric.compute_metrics(metric.results))
        metric.results.clear()
    return results


def _read_json(path: str) -> dict:
    """Read a JSON file."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def _write_json(path: str, data: dict) -> None:
    """Write a JSON file, creating its folder."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f)
        f.write('\n')


def evaluate_scoremaps(
    metadata_dir: str,
    scoremap_dir: str,
    image_root: str = '',
    mask_root: str = '',
    localization_file: str = 'localization.txt',
    mask_file: Optional[str] = None,
    box: Optional[bool] = None,
    mask: Optional[bool] = None,
    box_mode: str = 'all',
    iou_thresholds: Optional[Sequence[float]] = None,
    interval: float = 0.01,
    map_size: Union[int, Sequence[int]] = PROTOCOL_MAP_SIZE,
    resize_norm: str = 'minmax',
    curves_file: Optional[str] = None,
    backend_args: Optional[dict] = None,
    progress: bool = False,
) -> Dict[str, float]:
    """Evaluate a folder of saved score maps against a metadata folder.

    Everything is checked before the first map is evaluated (metadata, GT
    annotations, image sizes, presence of every map); each map is checked
    when loaded (:func:`load_scoremap`). Maps are evaluated one at a time,
    so memory stays flat.

    Args:
        metadata_dir (str): The split's metadata folder.
        scoremap_dir (str): Folder of ``<image_id>.npy`` maps.
        image_root (str): Image folder; only read for images without a size
            in ``image_sizes.txt`` (box evaluation). Defaults to ''.
        mask_root (str): Folder the mask paths are relative to.
        localization_file (str): Defaults to ``'localization.txt'``.
        mask_file (str, optional): Extra mask file, see
            :func:`resolve_mask_file` (used when masks are evaluated).
        box (bool, optional): Evaluate boxes; None: when there are boxes.
        mask (bool, optional): Evaluate masks (PxAP, pIoU); None: only for
            mask-only metadata.
        box_mode (str): ``'all'`` (MaxBoxAccV2) or ``'largest'`` (V1).
        iou_thresholds (Sequence[float], optional): See
            :func:`build_offline_metrics`.
        interval (float): CAM threshold step. Defaults to 0.01 (the
            community's final numbers use 0.001).
        map_size (int | Sequence[int]): Evaluation size ``(H, W)`` (or a
            side). Defaults to ``(224, 224)``.
        resize_norm (str): See :func:`resize_scoremap`.
        curves_file (str, optional): Write the per-threshold curves here:
            the box metric's or the mask metric's JSON, or
            ``{"box": ..., "mask": ...}`` when both are evaluated.
        backend_args (dict, optional): File backend arguments for masks.
        progress (bool): Show a progress bar. Defaults to False.

    Returns:
        dict[str, float]: The box metrics of :class:`WSOLMetric`
        (``MaxBoxAccV2`` or ``MaxBoxAcc``, per-IoU values, best thresholds,
        GT-known Loc) and/or the mask metrics (``PxAP``, ``pIoU``,
        ``peak_threshold``), without prefix.
    """
    if isinstance(map_size, int):
        map_size = (map_size, map_size)
    map_size = tuple(int(s) for s in map_size)
    if len(map_size) != 2 or min(map_size) <= 0:
        raise ValueError(f'map_size must be (H, W) > 0, got {map_size}')
    if resize_norm not in RESIZE_NORMS:
        raise ValueError(
            f'Unknown resize_norm {resize_norm!r}, choose from {RESIZE_NORMS}'
        )
    if mask:
        mask_file = resolve_mask_file(
            metadata_dir, localization_file, mask_file
        )
    infos = load_split_infos(
        metadata_dir, image_root, mask_root, localization_file, mask_file
    )
    with_box, with_mask = select_targets(infos, box, mask)
    if with_box:
        infos = fill_image_sizes(infos, image_root, progress)
    image_ids = [info['img_id'] for info in infos]
    check_scoremap_files(scoremap_dir, image_ids)

    with tempfile.TemporaryDirectory() as tmp:
        both = with_box and with_mask and curves_file
        box_curves = mask_curves = curves_file
        if both:
            box_curves = osp.join(tmp, 'box.json')
            mask_curves = osp.join(tmp, 'mask.json')
        metrics = build_offline_metrics(
            with_box,
            with_mask,
            interval,
            box_mode,
            iou_thresholds,
            box_curves,
            mask_curves,
        )

        def samples():
            items = track_iter_progress(infos) if progress else infos
            for info in items:
                path = scoremap_path(scoremap_dir, info['img_id'])
                cam = resize_scoremap(
                    load_scoremap(path), map_size, resize_norm
                )
                yield make_offline_sample(
                    info, cam, with_box, with_mask, backend_args
                )

        results = evaluate_samples(metrics, samples())
        if both:
            _write_json(
                curves_file,
                dict(box=_read_json(box_curves), mask=_read_json(mask_curves)),
            )
    return results
