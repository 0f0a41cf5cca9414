"""DumpWSOLResults: compact per-sample dumps keep the invalid-map flags."""

import pickle

import numpy as np
import torch

from mmwsol.evaluation import DumpWSOLResults


def test_dump_keeps_maps_as_uint8_and_flags_invalid_maps(tmp_path):
    path = str(tmp_path / 'preds.pkl')
    dump = DumpWSOLResults(out_file_path=path)
    gt_cam = torch.full((4, 4), 0.5)
    gt_cam[0, 0] = float('nan')
    pred_cams = torch.ones(3, 4, 4)
    pred_cams[1, 2, 2] = float('inf')
    flagged = torch.zeros(4, 4)
    dump.process(
        None,
        [
            dict(
                img_id='a',
                gt_cam=gt_cam,
                pred_cams=pred_cams,
                pred_cams_valid=torch.tensor([True, True, False]),
                wsol_geometry=dict(
                    scale=(1.0, 1.0),
                    offset=(0.0, 0.0),
                    shape=(4, 4),
                    tracked=True,
                ),
            ),
            dict(img_id='b', gt_cam=flagged, gt_cam_valid=False),
            dict(
                img_id='c', gt_cam=torch.full((4, 4), 0.5), gt_cam_valid=True
            ),
        ],
    )
    dump.compute_metrics(dump.results)
    with open(path, 'rb') as f:
        a, b, c = pickle.load(f)
    # a NaN anywhere: the whole map is an empty prediction, flagged
    assert a['gt_cam'].dtype == np.uint8 and not a['gt_cam'].any()
    assert a['gt_cam_valid'] is False
    # per map: the inf map zeroed; the model's own flag (map 2) kept
    assert a['pred_cams_valid'].tolist() == [True, False, False]
    assert a['pred_cams'][0].min() == 255 and not a['pred_cams'][1].any()
    assert a['pred_cams'][2].min() == 255
    assert a['wsol_geometry']['offset'] == (0.0, 0.0)
    assert b['gt_cam_valid'] is False
    assert c['gt_cam_valid'] is True and c['gt_cam'].max() == 127


def test_dump_reads_half_precision_maps_of_amp_runs(tmp_path):
    """bfloat16 / float16 maps (AMP) are stored like float32 ones."""
    path = str(tmp_path / 'preds.pkl')
    dump = DumpWSOLResults(out_file_path=path)
    dtypes = (torch.bfloat16, torch.float16, torch.float32)
    dump.process(
        None,
        [
            dict(
                img_id=str(d),
                img_path='x',
                gt_cam=torch.full((4, 4), 0.5, dtype=d),
            )
            for d in dtypes
        ],
    )
    dump.compute_metrics(dump.results)
    with open(path, 'rb') as f:
        bf16, fp16, fp32 = pickle.load(f)
    for entry in (bf16, fp16):
        assert np.array_equal(entry['gt_cam'], fp32['gt_cam'])
        assert entry['gt_cam'].max() == 127
    assert fp32['img_path'] == 'x'
