"""Dump compact per-sample WSOL predictions for offline analysis."""

from typing import Any, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import DumpResults

from mmwsol.registry import METRICS

from .sample_inputs import to_numpy

_KEEP = (
    'img_id',
    'img_path',
    'ori_shape',
    'gt_label',
    'pred_score',
    'pred_label',
    'pred_cam_labels',
    'ori_gt_bboxes',
    'gt_cam_valid',
    'pred_cams_valid',
    'wsol_geometry',
)
#: The maps and the key of their validity flags.
_MAPS = {'gt_cam': 'gt_cam_valid', 'pred_cams': 'pred_cams_valid'}


def _numpy(value: Any) -> Any:
    """Tensors as numpy (half precision read as float32); the rest as is."""
    return to_numpy(value) if isinstance(value, torch.Tensor) else value


@METRICS.register_module()
class DumpWSOLResults(DumpResults):
    """Dump predictions to a pickle file, one small dict per sample.

    Maps are stored as uint8 (``uint8(map * 255)``, the quantisation the box
    protocol uses anyway), which keeps a CUB test dump around 300 MB instead
    of 1.2 GB of float maps. A map holding a NaN / inf value is stored as
    zeros and flagged invalid in ``gt_cam_valid`` / ``pred_cams_valid`` (as
    the classifier flags the maps it had to zero), so the dump keeps the
    count the metrics report (``invalid_maps``).

    Args:
        out_file_path (str): ``.pkl`` / ``.pickle`` output path.
        keep_maps (bool): Whether to store the maps. Defaults to True.
        collect_device (str): Device for gathering. Defaults to 'cpu'.
        collect_dir (str, optional): Folder for CPU gathering.
    """

    def __init__(
        self,
        out_file_path: str,
        keep_maps: bool = True,
        collect_device: str = 'cpu',
        collect_dir: Optional[str] = None,
    ):
        super().__init__(
            out_file_path=out_file_path,
            collect_device=collect_device,
            collect_dir=collect_dir,
        )
        self.keep_maps = keep_maps

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        """Keep the compact fields of each sample."""
        for pred in predictions:
            entry = {k: _numpy(pred[k]) for k in _KEEP if k in pred}
            if self.keep_maps:
                for key, flag in _MAPS.items():
                    if key in pred:
                        self._keep_map(entry, key, flag, _numpy(pred[key]))
            self.results.append(entry)

    @staticmethod
    def _keep_map(entry: dict, key: str, flag: str, cam: np.ndarray) -> None:
        """Store ``cam`` as uint8; non-finite maps as zeros, flagged."""
        cam = np.asarray(cam, dtype=np.float64)
        finite = np.isfinite(cam)
        # per map: (H, W) for gt_cam, (k, H, W) for pred_cams
        valid = finite.all(axis=(-2, -1)) if cam.ndim >= 2 else finite
        cam = (
            np.where(np.expand_dims(valid, (-2, -1)), cam, 0.0)
            if cam.ndim >= 2
            else cam
        )
        entry[key] = np.uint8(np.clip(np.nan_to_num(cam), 0, 1) * 255)
        old = entry.get(flag)
        valid = valid if old is None else np.asarray(old, bool) & valid
        entry[flag] = bool(valid) if np.ndim(valid) == 0 else valid
