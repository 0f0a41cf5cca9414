"""Sample builders shared by the WSOLMetric tests: random and hand-made
samples (with their hand-computed numbers) and small block maps."""

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


def hand_made_samples():
    """Five samples with hand-computed results (map 16 x 16, K = 6).

    Per sample: GT box on the map, per-threshold correctness, GT rank.

    - A: two-level map, GT [4, 4, 24, 24] in a 32 x 32 image -> [2, 2, 12,
      12] = big box: IoU 1 for t < 0.5, 25 / 121 after. Rank 0.
    - B: two-level map, GT [10, 10, 18, 18] -> [5, 5, 9, 9] = small box:
      IoU 25 / 121 for t < 0.5, 1 after. Rank 1.
    - C: left half (cols 0..7) at 1 -> box [0, 0, 8, 16] clipped to
      [0, 0, 8, 15] (144 pixels). Image (h, w) = (64, 32), GT [0, 0, 30, 60]
      -> [0, 0, 15, 15] (256 pixels): IoU 144 / 256 = 0.5625 at every t.
      Rank 5 (last).
    - D: all-zero map -> [0, 0, 0, 0]; GT [[20, 20, 30, 30], [0, 0, 2, 2]]
      -> [10, 10, 15, 15], [0, 0, 1, 1]: best IoU 1 / 4. Rank 0.
    - E: as B. Rank 0.
    """
    left = np.zeros((16, 16))
    left[:, 0:8] = 1.0
    return [
        make_sample(
            two_level_map(),
            0,
            [0.9, 0.05, 0.02, 0.01, 0.01, 0.01],
            [[4, 4, 24, 24]],
            (32, 32),
            img_path='a.jpg',
        ),
        make_sample(
            two_level_map(),
            1,
            [0.1, 0.3, 0.4, 0.1, 0.05, 0.05],
            [[10, 10, 18, 18]],
            (32, 32),
            img_path='b.jpg',
        ),
        make_sample(
            left,
            2,
            [0.3, 0.2, 0.01, 0.15, 0.14, 0.2],
            [[0, 0, 30, 60]],
            (64, 32),
            img_path='c.jpg',
        ),
        make_sample(
            np.zeros((16, 16)),
            3,
            [0.1, 0.1, 0.1, 0.5, 0.1, 0.1],
            [[20, 20, 30, 30], [0, 0, 2, 2]],
            (32, 32),
            img_path='d.jpg',
        ),
        make_sample(
            two_level_map(),
            4,
            [0.1, 0.1, 0.1, 0.1, 0.5, 0.1],
            [[10, 10, 18, 18]],
            (32, 32),
            img_path='e.jpg',
        ),
    ]


# Hand tallies (N = 5), per CAM threshold t:
#   IoU 30 / 50: t < 0.5 -> A, C (40 %); t >= 0.5 -> B, C, E (60 %)
#   IoU 70:      t < 0.5 -> A (20 %);    t >= 0.5 -> B, E (40 %)
#   classification: ranks A 0, B 1, C 5, D 0, E 0 -> top-1 60 %, top-5 80 %
#   fixed θ = 0.2, max standard: level int(0.2 * 255) = 51 < 127 -> big box:
#     GT-known: A, C (40 %); top-1 loc: A (20 %); top-5 loc: A (20 %)
#   best IoU-50 threshold 0.5: B, C, E correct
#     top-1 loc: E (20 %); top-5 loc: B, E (40 %)
EXPECTED = {
    'top1_cls': 60.0,
    'top5_cls': 80.0,
    'gt_known_loc': 40.0,
    'top1_loc': 20.0,
    'top5_loc': 20.0,
    'MaxBoxAccV2': (60.0 + 60.0 + 40.0) / 3,
    'MaxBoxAccV2@30': 60.0,
    'MaxBoxAccV2@50': 60.0,
    'MaxBoxAccV2@70': 40.0,
    'best_thr@30': THRESHOLDS[50],
    'best_thr@50': THRESHOLDS[50],
    'best_thr@70': THRESHOLDS[50],
    'gt_known_loc_best': 60.0,
    'top1_loc_best': 20.0,
    'top5_loc_best': 40.0,
    'invalid_maps': 0,
}


# the keys of the localization-only summary (samples without scores)
LOC_KEYS = (
    'MaxBoxAccV2',
    'gt_known_loc',
    'MaxBoxAccV2@30',
    'MaxBoxAccV2@50',
    'MaxBoxAccV2@70',
    'best_thr@30',
    'best_thr@50',
    'best_thr@70',
    'gt_known_loc_best',
    'invalid_maps',
)


def without_scores(samples, drop_label=False):
    """Drop the scores (and the label) in place: localization only."""
    for sample in samples:
        sample.pop('pred_score')
        if drop_label:
            sample.pop('gt_label')
    return samples


def block_map(value=1.0):
    cam = np.zeros((16, 16))
    cam[4:12, 4:12] = value
    return cam


def block_samples():
    """Three samples whose block map matches the GT box [4, 4, 11, 11]."""
    return [
        make_sample(
            block_map(),
            0,
            [0.9, 0.1],
            [[4, 4, 11, 11]],
            (16, 16),
            img_path=f'{name}.jpg',
        )
        for name in ('ok', 'nan', 'inf')
    ]
