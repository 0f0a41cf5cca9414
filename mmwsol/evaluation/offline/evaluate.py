"""Evaluating a folder of saved score maps with the online metrics."""

from typing import Dict, Optional, Sequence, Union

from mmwsol.utils.progress import track

from ..metrics.wsol_mask_metric import WSOLMaskMetric
from ..metrics.wsol_metric import WSOLMetric
from .annotations import (
    fill_image_sizes,
    load_split_infos,
    make_offline_sample,
    resolve_mask_file,
    select_targets,
)
from .scoremaps import (
    PROTOCOL_MAP_SIZE,
    RESIZE_NORMS,
    check_scoremap_files,
    load_scoremap,
    resize_scoremap,
    scoremap_path,
)


def build_offline_metrics(
    with_box: bool,
    with_mask: bool,
    interval: float = 0.01,
    box_mode: str = 'all',
    iou_thresholds: Optional[Sequence[float]] = None,
    curves_file: Optional[str] = None,
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
        curves_file (str, optional): The curves file of both metrics (the
            box curves, the mask curves, or ``{"box": ..., "mask": ...}``
            when both are evaluated).

    Returns:
        list: The metrics, box first.
    """
    metrics = []
    if with_box:
        if iou_thresholds is None:
            iou_thresholds = (30, 50, 70) if box_mode == 'all' else (50,)
        kwargs = dict(curves_file=curves_file) if curves_file else {}
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
                curves_file=curves_file,
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

    # both metrics write to the one curves file: the file then holds
    # {"box": ..., "mask": ...} (mmwsol.evaluation.metrics.curves_file)
    metrics = build_offline_metrics(
        with_box, with_mask, interval, box_mode, iou_thresholds, curves_file
    )

    def samples():
        items = track(infos, desc='eval_scoremaps') if progress else infos
        for info in items:
            path = scoremap_path(scoremap_dir, info['img_id'])
            cam = resize_scoremap(load_scoremap(path), map_size, resize_norm)
            yield make_offline_sample(
                info, cam, with_box, with_mask, backend_args
            )

    results = evaluate_samples(metrics, samples())
    return results
