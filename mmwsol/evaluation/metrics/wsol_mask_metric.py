"""Pixel-based WSOL metric: PxAP, peak IoU and its threshold."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric

from mmwsol.registry import METRICS

from ..functional import (
    cam_thresholds,
    mask_score_histograms,
    peak_iou_from_histograms,
    pixel_histogram_edges,
    pxap_from_histograms,
)
from ..functional.pxap import pixel_curves_at_thresholds
from .curves_file import write_curves_part
from .sample_inputs import (
    check_pipeline_geometry,
    check_sample_geometry,
    read_gt_cam,
    sample_name,
    short_name,
    to_numpy,
    warn_invalid_maps,
)


def check_mask_scoremap(
    sample: dict, name: str = 'A sample'
) -> Tuple[np.ndarray, bool]:
    """The checked float64 map of a sample for the pixel metric.

    An invalid map (a NaN / inf value, or ``gt_cam_valid`` False) is
    returned as all zeros, an empty prediction, with ``valid`` False.
    Finite values outside ``[0, 1]`` are errors, because ``np.histogram``
    would silently drop or misplace them.

    Args:
        sample (dict): The sample, with ``gt_cam`` (``(H, W)`` or
            ``(1, H, W)``) and optionally ``gt_cam_valid``.
        name (str): Name of the sample for error messages.

    Returns:
        tuple[np.ndarray, bool]: float64 ``(H, W)`` map in ``[0, 1]`` and
        whether it was valid.

    Raises:
        ValueError: On a wrong dimensionality or a value outside ``[0, 1]``.
    """
    cam, valid = read_gt_cam(sample, name)
    if cam.size and (cam.min() < 0 or cam.max() > 1):
        raise ValueError(
            f'{name}: gt_cam must have values in [0, 1], got '
            f'the range [{cam.min()}, {cam.max()}].'
        )
    return cam, valid


def _compact_counts(hist: np.ndarray, num_pixels: int) -> np.ndarray:
    """Store a per-sample histogram in the smallest safe unsigned dtype."""
    for dtype in (np.uint16, np.uint32):
        if num_pixels <= np.iinfo(dtype).max:
            return hist.astype(dtype)
    return hist.astype(np.int64)


def _json_list(values: np.ndarray) -> List[Optional[float]]:
    """Floats for JSON, NaN written as ``null`` (JSON has no NaN)."""
    return [None if np.isnan(v) else float(v) for v in values.tolist()]


@METRICS.register_module()
class WSOLMaskMetric(BaseMetric):
    """Pixel-level localization metric of the community protocol.

    Every pixel of the GT-class map is a detection score against the GT mask
    (instance masks OR-ed, ignore pixels dropped). With the score histograms
    summed over the dataset (bins = the CAM thresholds plus ``[1, 2, 3]``):

    - ``PxAP``: pixel average precision, the area under the dataset-level
      precision-recall curve (Choe et al., CVPR 2020), in percent;
    - ``pIoU``: the best dataset-level IoU ``tp / (tp + fp + fn)`` over the
      thresholds (foreground = ``score >= t``), in percent;
    - ``peak_threshold``: the threshold reaching ``pIoU`` ("Peak-T");
    - ``top1_cls``: top-1 classification accuracy, when labels are known
      and ``classification`` is True (switch it off when a box metric in
      the same evaluator already reports it).
    - ``mask_invalid_maps``: the number of invalid maps (a NaN / inf value,
      or flagged ``gt_cam_valid=False`` by the model), evaluated as empty
      predictions (all zeros) and named in a warning (the first five).

    Each sample needs ``gt_cam`` ((H, W) in ``[0, 1]``) and ``gt_mask``
    ((H, W) uint8: 1 foreground, 0 background, 255 ignore, at the map size).
    Values outside ``[0, 1]``, a map of another shape than its mask and a
    map that is not 2-D raise a ``ValueError`` naming the sample. A dataset
    without any foreground pixel raises a ``ValueError`` (PxAP is
    undefined). The masks come through the test pipeline, so they are in
    the geometry of the maps; as :class:`WSOLMetric`, the metric refuses a
    dataset whose pipeline moves pixels without a geometry record
    (``wsol_untracked_transforms`` in its metainfo) and a sample whose
    record is broken.

    A sample keeps only its two histograms (O(thresholds), stored as
    ``uint16`` for maps up to 65535 pixels), so distributed evaluation
    equals single-process evaluation exactly.

    With ``curves_file``, :meth:`compute_metrics` also writes a JSON file
    with the dataset-level curves, one value per CAM threshold (score
    ``>= t`` is foreground): ``thresholds``, ``precision`` (``null`` where
    nothing is predicted), ``recall``, ``iou`` (fractions), and ``PxAP``,
    ``pIoU``, ``peak_threshold``, ``interval``, ``num_images``,
    ``num_foreground_pixels``, ``num_background_pixels``.
    ``tools/analysis/plot_curves.py`` draws the precision-recall curve from
    it.

    Args:
        cam_curve_interval (float): Step of the thresholds. Defaults to 0.01.
        classification (bool): Also report ``top1_cls``. Defaults to True.
        curves_file (str, optional): Path of the curves JSON file written by
            :meth:`compute_metrics` (folders are created). Defaults to None
            (no file).
        collect_device (str): Device for gathering results. Defaults to
            'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
    """

    default_prefix: Optional[str] = 'wsol'

    def __init__(
        self,
        cam_curve_interval: float = 0.01,
        classification: bool = True,
        curves_file: Optional[str] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.cam_curve_interval = cam_curve_interval
        self.classification = classification
        self.curves_file = curves_file
        self.thresholds = cam_thresholds(cam_curve_interval)
        self.edges = pixel_histogram_edges(self.thresholds)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Histogram each sample's map against its mask.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Predictions with annotations.
        """
        check_pipeline_geometry(self.dataset_meta, 'WSOLMaskMetric')
        for sample in data_samples:
            self.results.append(self._process_sample(sample))

    def _process_sample(self, sample: dict) -> dict:
        """The compact entry of one sample: its two histograms."""
        name = sample_name(sample)
        if sample.get('gt_mask') is None:
            raise KeyError(
                f'{name} has no `gt_mask`: WSOLMaskMetric needs mask '
                'annotations (a mask localization file and PackWSOLInputs).'
            )
        if sample.get('gt_cam') is None:
            raise KeyError(f'{name} has no `gt_cam` map')
        cam, valid = check_mask_scoremap(sample, name)
        check_sample_geometry(sample, name, cam.shape)
        mask = to_numpy(sample['gt_mask']).astype(np.uint8)
        if mask.ndim == 3 and mask.shape[0] == 1:
            mask = mask[0]
        try:
            fg, bg = mask_score_histograms(cam, mask, self.edges)
        except ValueError as error:
            raise ValueError(f'{name}: {error}') from error
        entry = dict(
            fg=_compact_counts(fg, cam.size),
            bg=_compact_counts(bg, cam.size),
            invalid_map=None if valid else short_name(sample),
        )
        if (
            self.classification
            and sample.get('pred_score') is not None
            and sample.get('gt_label') is not None
        ):
            score = to_numpy(sample['pred_score'])
            label = int(to_numpy(sample['gt_label']).reshape(-1)[0])
            entry['top1'] = bool(int(score.argmax()) == label)
        return entry

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the histograms and compute PxAP, pIoU and Peak-T.

        Args:
            results (List[dict]): Entries of all samples.

        Returns:
            dict[str, float]: The metrics.
        """
        if not results:
            raise ValueError('WSOLMaskMetric got no sample to evaluate.')
        fg = np.sum([r['fg'] for r in results], axis=0, dtype=np.int64)
        bg = np.sum([r['bg'] for r in results], axis=0, dtype=np.int64)
        piou, peak_t = peak_iou_from_histograms(fg, bg, self.edges)
        metrics = dict(
            PxAP=pxap_from_histograms(fg, bg), pIoU=piou, peak_threshold=peak_t
        )
        tops = [r['top1'] for r in results if 'top1' in r]
        if tops:
            metrics['top1_cls'] = float(np.mean(tops) * 100)
        metrics['mask_invalid_maps'] = warn_invalid_maps(
            'WSOLMaskMetric', [r.get('invalid_map') for r in results]
        )
        if self.curves_file:
            self.write_curves(self.curves_file, fg, bg, metrics, len(results))
        return metrics

    def curves(
        self,
        fg_hist: np.ndarray,
        bg_hist: np.ndarray,
        metrics: Dict[str, float],
        num_images: int,
    ) -> dict:
        """The JSON-ready curves of summed histograms.

        Args:
            fg_hist (np.ndarray): Summed foreground histogram.
            bg_hist (np.ndarray): Summed background histogram.
            metrics (dict): ``PxAP``, ``pIoU`` and ``peak_threshold``.
            num_images (int): Number of evaluated images.

        Returns:
            dict: See the class docstring.
        """
        per_thr = pixel_curves_at_thresholds(
            fg_hist, bg_hist, len(self.thresholds)
        )
        return dict(
            thresholds=[float(t) for t in self.thresholds],
            precision=_json_list(per_thr['precision']),
            recall=_json_list(per_thr['recall']),
            iou=_json_list(per_thr['iou']),
            PxAP=metrics['PxAP'],
            pIoU=metrics['pIoU'],
            peak_threshold=metrics['peak_threshold'],
            interval=float(self.cam_curve_interval),
            num_images=int(num_images),
            num_foreground_pixels=int(np.sum(fg_hist)),
            num_background_pixels=int(np.sum(bg_hist)),
        )

    def write_curves(
        self,
        path: str,
        fg_hist: np.ndarray,
        bg_hist: np.ndarray,
        metrics: Dict[str, float],
        num_images: int,
    ) -> None:
        """Write :meth:`curves` to a JSON file (creating its folder).

        A :class:`WSOLMetric` of the same run may share the file, which
        then holds both as ``{"box": ..., "mask": ...}`` (see
        :mod:`~mmwsol.evaluation.metrics.curves_file`).

        Args:
            path (str): Output path.
            fg_hist (np.ndarray): Summed foreground histogram.
            bg_hist (np.ndarray): Summed background histogram.
            metrics (dict): ``PxAP``, ``pIoU`` and ``peak_threshold``.
            num_images (int): Number of evaluated images.
        """
        curves = self.curves(fg_hist, bg_hist, metrics, num_images)
        write_curves_part(path, 'mask', curves, self)
