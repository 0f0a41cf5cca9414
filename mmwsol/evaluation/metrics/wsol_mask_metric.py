"""Pixel-based WSOL metric: PxAP, peak IoU and its threshold."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmwsol.registry import METRICS
from ..functional import (cam_thresholds, mask_score_histograms,
                          peak_iou_from_histograms, pixel_histogram_edges,
                          pxap_from_histograms)


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


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

    Each sample needs ``gt_cam`` ((H, W) in ``[0, 1]``) and ``gt_mask``
    ((H, W) uint8: 1 foreground, 0 background, 255 ignore, at the map size).
    A sample keeps only its two histograms (O(thresholds)), so distributed
    evaluation equals single-process evaluation exactly.

    Args:
        cam_curve_interval (float): Step of the thresholds. Defaults to 0.01.
        classification (bool): Also report ``top1_cls``. Defaults to True.
        collect_device (str): Device for gathering results. Defaults to
            'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
    """

    default_prefix: Optional[str] = 'wsol'

    def __init__(self,
                 cam_curve_interval: float = 0.01,
                 classification: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.cam_curve_interval = cam_curve_interval
        self.classification = classification
        self.edges = pixel_histogram_edges(cam_thresholds(cam_curve_interval))

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Histogram each sample's map against its mask.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict]): Predictions with annotations.
        """
        for sample in data_samples:
            name = sample.get('img_id', sample.get('img_path', '?'))
            if 'gt_mask' not in sample:
                raise KeyError(
                    f'sample {name} has no `gt_mask`: WSOLMaskMetric needs '
                    'mask annotations (a mask localization file and '
                    'PackWSOLInputs).')
            if 'gt_cam' not in sample:
                raise KeyError(f'sample {name} has no `gt_cam` map')
            cam = _to_numpy(sample['gt_cam']).astype(np.float32)
            cam = np.nan_to_num(cam, nan=0.)
            mask = _to_numpy(sample['gt_mask']).astype(np.uint8)
            fg, bg = mask_score_histograms(cam, mask, self.edges)
            entry = dict(fg=fg, bg=bg)
            if self.classification and 'pred_score' in sample \
                    and 'gt_label' in sample:
                score = _to_numpy(sample['pred_score'])
                label = int(_to_numpy(sample['gt_label']).reshape(-1)[0])
                entry['top1'] = bool(int(score.argmax()) == label)
            self.results.append(entry)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Sum the histograms and compute PxAP, pIoU and Peak-T.

        Args:
            results (List[dict]): Entries of all samples.

        Returns:
            dict[str, float]: The metrics.
        """
        fg = np.sum([r['fg'] for r in results], axis=0)
        bg = np.sum([r['bg'] for r in results], axis=0)
        piou, peak_t = peak_iou_from_histograms(fg, bg, self.edges)
        metrics = dict(
            PxAP=pxap_from_histograms(fg, bg), pIoU=piou,
            peak_threshold=peak_t)
        tops = [r['top1'] for r in results if 'top1' in r]
        if tops:
            metrics['top1_cls'] = float(np.mean(tops) * 100)
        return metrics
