"""Dump compact per-sample WSOL predictions for offline analysis."""
from typing import Any, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import DumpResults

from mmwsol.registry import METRICS

_KEEP = ('img_id', 'img_path', 'ori_shape', 'gt_label', 'pred_score',
         'pred_label', 'pred_cam_labels', 'ori_gt_bboxes')
_MAPS = ('gt_cam', 'pred_cams')


def _numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


@METRICS.register_module()
class DumpWSOLResults(DumpResults):
    """Dump predictions to a pickle file, one small dict per sample.

    Maps are stored as uint8 (``uint8(map * 255)``, the quantisation the box
    protocol uses anyway), which keeps a CUB test dump around 300 MB instead
    of 1.2 GB of float maps.

    Args:
        out_file_path (str): ``.pkl`` / ``.pickle`` output path.
        keep_maps (bool): Whether to store the maps. Defaults to True.
        collect_device (str): Device for gathering. Defaults to 'cpu'.
        collect_dir (str, optional): Folder for CPU gathering.
    """

    def __init__(self,
                 out_file_path: str,
                 keep_maps: bool = True,
                 collect_device: str = 'cpu',
                 collect_dir: Optional[str] = None):
        super().__init__(
            out_file_path=out_file_path,
            collect_device=collect_device,
            collect_dir=collect_dir)
        self.keep_maps = keep_maps

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        """Keep the compact fields of each sample."""
        for pred in predictions:
            entry = {k: _numpy(pred[k]) for k in _KEEP if k in pred}
            if self.keep_maps:
                for key in _MAPS:
                    if key in pred:
                        cam = np.nan_to_num(_numpy(pred[key]).astype(
                            np.float64))
                        entry[key] = np.uint8(np.clip(cam, 0, 1) * 255)
            self.results.append(entry)
