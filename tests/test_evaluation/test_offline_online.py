"""Offline == online: the test pipeline's samples and the saved maps fed
to the same metrics give the same numbers on the synthetic set."""

import json
import os.path as osp

import cv2
import numpy as np
import torch
from offline_utils import (
    load_tool,
    save_map,
)

from mmwsol.evaluation.offline import (
    evaluate_scoremaps,
)
from mmwsol.registry import DATASETS, METRICS
from mmwsol.synthetic import generate_synthetic_dataset


def synthetic_maps(seed, masks):
    """Smooth random maps correlated with the objects, in [0, 1]."""
    rng = np.random.default_rng(seed)
    out = []
    for mask in masks:
        h, w = mask.shape
        noise = cv2.resize(
            rng.random((5, 5)), (w, h), interpolation=cv2.INTER_CUBIC
        )
        cam = 0.2 * (mask == 1) + 0.5 * noise
        cam = cam - cam.min()
        out.append((cam / cam.max()).astype(np.float32))
    return out


def test_offline_equals_online(tmp_path):
    root = str(tmp_path / 'syn')
    generate_synthetic_dataset(
        root,
        num_classes=2,
        num_train=0,
        num_val=0,
        num_test=4,
        image_size=48,
        size_jitter=0.3,
        two_instance_prob=0.5,
        seed=5,
        num_workers=1,
    )
    map_size = (40, 36)  # (H, W): neither the image size nor square
    dataset = DATASETS.build(
        dict(
            type='WSOLDataset',
            data_root=root,
            metadata_dir='metadata/test',
            img_prefix='images',
            mask_file='localization_mask.txt',
            mask_prefix='masks',
            require_localization=True,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadWSOLAnnotations'),
                dict(type='Resize', scale=map_size[::-1], keep_ratio=False),
                dict(type='PackWSOLInputs'),
            ],
        )
    )
    samples = [
        dataset[i]['data_samples'].to_dict() for i in range(len(dataset))
    ]
    cams = synthetic_maps(0, [s['gt_mask'].numpy() for s in samples])
    scoremaps = tmp_path / 'maps'
    for sample, cam in zip(samples, cams):
        sample['gt_cam'] = torch.from_numpy(cam)
        save_map(scoremaps, sample['img_id'], cam)
    assert len({tuple(s['ori_shape']) for s in samples}) > 1

    online = {}
    for cfg in (
        dict(type='WSOLMetric', cam_curve_interval=0.05),
        dict(
            type='WSOLMaskMetric',
            cam_curve_interval=0.05,
            classification=False,
        ),
    ):
        metric = METRICS.build(cfg)
        metric.process(None, samples)
        online.update(metric.compute_metrics(metric.results))
    curves = tmp_path / 'curves.json'
    offline = evaluate_scoremaps(
        osp.join(root, 'metadata', 'test'),
        str(scoremaps),
        mask_root=osp.join(root, 'masks'),
        mask=True,
        interval=0.05,
        map_size=map_size,
        curves_file=str(curves),
    )
    assert offline == online
    assert 0 < online['MaxBoxAccV2'] < 100 and 0 < online['PxAP'] < 100
    # box and mask curves together; the plot then has two panels
    both = json.loads(curves.read_text())
    assert both['box']['num_images'] == both['mask']['num_images'] == 8
    assert both['mask']['PxAP'] == online['PxAP']
    out = tmp_path / 'both.png'
    load_tool('plot_curves').main([str(curves), '--out', str(out)])
    assert cv2.imread(str(out)).shape == (480, 1280, 3)
