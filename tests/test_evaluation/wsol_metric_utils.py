"""Sample builders shared by the WSOLMetric tests."""

import numpy as np
import torch
from wsol_eval_reference import random_gt_boxes, random_maps

THRESHOLDS = np.arange(0, 1, 0.01)


def make_sample(cam, label, scores, ori_boxes, ori_shape, **extra):
    sample = dict(
        pred_score=torch.tensor(scores, dtype=torch.float32),
        gt_label=torch.tensor([label]),
        gt_cam=torch.as_tensor(cam, dtype=torch.float32),
        ori_gt_bboxes=torch.tensor(ori_boxes, dtype=torch.float32),
        ori_shape=ori_shape,
    )
    sample.update(extra)
    return sample


def evaluate(metric, samples, batch_size=2):
    for i in range(0, len(samples), batch_size):
        metric.process(None, samples[i : i + batch_size])
    return metric.evaluate(len(samples))


def two_level_map():
    """16 x 16: a 10 x 10 block at 0.5 (u8 127) around a 4 x 4 block at 1.

    For t < 0.5 (t * 255 < 127) the box is the big block [2, 2, 12, 12]
    (121 pixels with the +1 convention), from t = 0.5 on the small block
    [5, 5, 9, 9] (25 pixels).
    """
    cam = np.zeros((16, 16))
    cam[2:12, 2:12] = 0.5
    cam[5:9, 5:9] = 1.0
    return cam


def random_samples(rng, num, height=40, width=48, num_classes=7):
    maps = []
    while len(maps) < num:
        maps.extend(random_maps(rng, height, width))
    samples = []
    for i in range(num):
        ori_h = int(rng.integers(height, 4 * height))
        ori_w = int(rng.integers(width, 4 * width))
        boxes = random_gt_boxes(rng, ori_h, ori_w, int(rng.integers(1, 4)))
        samples.append(
            make_sample(
                maps[i],
                int(rng.integers(0, num_classes)),
                rng.random(num_classes).tolist(),
                boxes,
                (ori_h, ori_w),
                img_path=f'{i}.jpg',
            )
        )
    return samples
