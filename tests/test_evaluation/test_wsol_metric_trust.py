"""Tests of WSOLMetric's trust rules: the fixed-threshold box rule, invalid
maps, the pipeline's geometry and the community's golden numbers."""

import json
import os.path as osp
from unittest import mock

import numpy as np
import pytest
import torch
from wsol_metric_utils import (
    THRESHOLDS,
    evaluate,
    make_sample,
    random_samples,
    two_level_map,
)

from mmwsol.evaluation import WSOLMetric


# ------------------------------ box rule of the fixed-threshold numbers
def two_blob_map():
    """20 x 20: blob A [1, 1, 3, 3] at 1.0 (9 px), blob B [8, 8, 17, 17]
    at 0.5 (u8 127, 100 px). For t < 0.5 both are foreground (the largest
    contour is B), from t = 0.5 on only A."""
    cam = np.zeros((20, 20))
    cam[1:4, 1:4] = 1.0
    cam[8:18, 8:18] = 0.5
    return cam


def box_rule_samples():
    """S1: two blobs, GT = A, rank 0. S2: the nested two-level map (GT =
    the outer block, correct for t < 0.5 under either rule), rank 1."""
    return [
        make_sample(
            two_blob_map(),
            0,
            [0.7, 0.3],
            [[1, 1, 3, 3]],
            (20, 20),
            img_path='s1.jpg',
        ),
        make_sample(
            two_level_map(),
            0,
            [0.3, 0.7],
            [[4, 4, 24, 24]],
            (32, 32),
            img_path='s2.jpg',
        ),
    ]


def test_fixed_threshold_numbers_use_the_largest_region_by_default():
    # Hand tallies. θ = 0.2 (level 51): S1 'largest' -> B (IoU 0), 'all'
    # -> A among the boxes (IoU 1); S2 -> the outer block (IoU 1).
    # Sweep at IoU 50: 'all': S1 at every t, S2 for t < 0.5 -> best 100 at
    # t = 0 (both correct, top-1: S1). 'largest': S1 for t >= 0.5, S2 for
    # t < 0.5 -> 50 everywhere, first best t = 0 where only S2 (rank 1)
    # is correct.
    largest = evaluate(WSOLMetric(), box_rule_samples())
    assert largest['wsol/gt_known_loc'] == 50.0
    assert largest['wsol/top1_loc'] == 0.0
    assert largest['wsol/gt_known_loc_best'] == 50.0
    assert largest['wsol/top1_loc_best'] == 0.0
    # the sweep keeps its own rule (all contours): unchanged
    assert largest['wsol/MaxBoxAccV2@50'] == 100.0

    every = evaluate(
        WSOLMetric(box_rule=dict(box_mode='all')), box_rule_samples()
    )
    assert every['wsol/gt_known_loc'] == 100.0
    assert every['wsol/top1_loc'] == 50.0
    assert every['wsol/gt_known_loc_best'] == 100.0
    assert every['wsol/top1_loc_best'] == 50.0
    assert every['wsol/MaxBoxAccV2@50'] == 100.0


def test_best_form_has_its_own_best_threshold():
    # S1 alone: 'largest' is correct from t = 0.5 on only
    samples = box_rule_samples()[:1]
    result = evaluate(WSOLMetric(), samples)
    assert result['wsol/gt_known_loc'] == 0.0
    assert result['wsol/gt_known_loc_best'] == 100.0
    assert result['wsol/top1_loc_best'] == 100.0
    union = evaluate(WSOLMetric(box_rule=dict(box_mode='union')), samples)
    # the union box [1, 1, 17, 17] (289 px) holds A: IoU 9 / 289 for
    # t < 0.5, then A alone: IoU 1
    assert union['wsol/gt_known_loc'] == 0.0
    assert union['wsol/gt_known_loc_best'] == 100.0


def test_error_analysis_uses_the_fixed_threshold_box_rule():
    # S1 at θ = 0.2: 'largest' -> B [8, 8, 17, 17], away from A: Other;
    # 'all' -> A: correct
    samples = box_rule_samples()[:1]
    largest = evaluate(WSOLMetric(error_analysis=True), samples)
    assert largest['wsol/err_other'] == 100.0
    every = evaluate(
        WSOLMetric(error_analysis=True, box_rule=dict(box_mode='all')),
        samples,
    )
    assert every['wsol/err_other'] == 0.0
    assert every['wsol/top1_loc'] == 100.0


# ------------------------------------------------------- invalid maps
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


def test_invalid_maps_are_counted_and_evaluated_as_empty():
    samples = block_samples()
    samples[1]['gt_cam'][0, 0] = float('nan')  # one NaN pixel
    samples[2]['gt_cam'][15, 15] = float('inf')
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), samples)
    assert result['wsol/invalid_maps'] == 2
    # the two invalid maps are all-zero maps: no box, not localized
    assert result['wsol/gt_known_loc'] == pytest.approx(100 / 3)
    assert result['wsol/MaxBoxAccV2'] == pytest.approx(100 / 3)
    (message,), kwargs = log.call_args
    assert kwargs['level'] == 30
    assert '2 of 3' in message and 'nan.jpg, inf.jpg' in message


def test_flagged_maps_are_invalid():
    samples = block_samples()
    # the model's flag: the raw map held NaN, the stored map is zeros
    samples[0]['gt_cam'] = torch.zeros(16, 16)
    samples[0]['gt_cam_valid'] = False
    samples[1]['gt_cam_valid'] = torch.tensor(True)
    samples[2]['gt_cam_valid'] = torch.tensor(False)
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), samples)
    assert result['wsol/invalid_maps'] == 2
    # a flagged map is evaluated as zeros even if its values are finite
    assert result['wsol/gt_known_loc'] == pytest.approx(100 / 3)
    assert 'ok.jpg, inf.jpg' in log.call_args[0][0]


def test_no_warning_without_invalid_maps():
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = evaluate(WSOLMetric(), block_samples())
    assert result['wsol/invalid_maps'] == 0
    log.assert_not_called()


def test_invalid_maps_distributed():
    samples = [s for _ in range(3) for s in block_samples()]
    for sample in samples[::2]:
        sample['gt_cam'][3, 3] = float('nan')
    single = evaluate(WSOLMetric(), samples)
    parts = []
    for rank in range(2):
        metric = WSOLMetric()
        metric.process(None, samples[rank::2])
        parts.append(metric.results)
    gathered = [e for group in zip(*parts) for e in group] + parts[0][4:]
    metrics = WSOLMetric().compute_metrics(gathered)
    assert metrics['invalid_maps'] == single['wsol/invalid_maps'] == 5
    assert {f'wsol/{k}': v for k, v in metrics.items()} == single


# ----------------------------------------------------------- geometry
def test_pipeline_geometry_is_used_for_the_gt_boxes():
    """Original 500 x 400 image, ResizeEdge(256) (scale 0.64) then
    CenterCrop(224) (offset 48, 16): GT [301, 101, 449, 349] ->
    [floor(192.64 - 48), floor(64.64 - 16), floor(287.36 - 48) -> 223,
    floor(223.36 - 16)] = [144, 48, 223, 207]. The community rescaling
    would give [134, 56, 201, 195] (IoU 8120 / 14200 = 0.57 with it)."""
    cam = np.zeros((224, 224))
    cam[48:208, 144:224] = 1.0
    geometry = dict(
        scale=(0.64, 0.64),
        offset=(-48.0, -16.0),
        shape=(224, 224),
        tracked=True,
    )
    sample = make_sample(
        cam,
        0,
        [0.9, 0.1],
        [[301, 101, 449, 349]],
        (400, 500),
        wsol_geometry=geometry,
    )
    result = evaluate(WSOLMetric(), [sample])
    assert result['wsol/MaxBoxAccV2@70'] == 100.0
    assert result['wsol/gt_known_loc'] == 100.0
    # without the record: the community boxes, IoU 0.57
    sample.pop('wsol_geometry')
    result = evaluate(WSOLMetric(), [sample])
    assert result['wsol/MaxBoxAccV2@50'] == 100.0
    assert result['wsol/MaxBoxAccV2@70'] == 0.0


def test_plain_resize_geometry_keeps_the_community_boxes():
    rng = np.random.default_rng(3)
    samples = random_samples(rng, 6)
    plain = evaluate(WSOLMetric(), samples)
    for sample in samples:
        (h, w), (mh, mw) = sample['ori_shape'], sample['gt_cam'].shape
        sample['wsol_geometry'] = dict(
            scale=(mw / w, mh / h),
            offset=(0.0, 0.0),
            shape=(mh, mw),
            tracked=True,
        )
    assert evaluate(WSOLMetric(), samples) == plain


def test_gt_boxes_cropped_away_count_as_misses():
    cam = np.zeros((224, 224))
    cam[0:100, 0:100] = 1.0
    geometry = dict(
        scale=(0.64, 0.64),
        offset=(-48.0, -16.0),
        shape=(224, 224),
        tracked=True,
    )
    # x1 = floor(60 * 0.64 - 48) = -10: left of the crop
    samples = [
        make_sample(
            cam,
            0,
            [0.9, 0.1],
            [[0, 0, 60, 300]],
            (400, 500),
            wsol_geometry=geometry,
            img_path='gone.jpg',
        ),
        make_sample(
            cam,
            0,
            [0.9, 0.1],
            [[100, 30, 230, 180]],
            (400, 500),
            wsol_geometry=geometry,
            img_path='kept.jpg',
        ),
    ]
    with mock.patch('mmwsol.evaluation.metrics.wsol_metric.print_log') as log:
        result = evaluate(WSOLMetric(error_analysis=True), samples)
    # kept: [floor(64 - 48), floor(19.2 - 16), floor(147.2 - 48),
    # floor(115.2 - 16)] = [16, 3, 99, 99] vs the box [0, 0, 99, 99]:
    # IoU 84 * 97 / 10000 = 0.81
    assert result['wsol/MaxBoxAccV2@70'] == 50.0
    assert result['wsol/gt_known_loc'] == 50.0
    assert result['wsol/err_other'] == 50.0
    assert 'gone.jpg' in log.call_args[0][0]


def test_untracked_geometry_is_refused():
    sample = make_sample(
        block_map(),
        0,
        [0.9, 0.1],
        [[4, 4, 11, 11]],
        (16, 16),
        img_path='x.jpg',
        wsol_geometry=dict(
            scale=(1.0, 1.0), offset=(0.0, 0.0), shape=(16, 16), tracked=False
        ),
    )
    with pytest.raises(ValueError, match=r'x\.jpg.*without updating'):
        WSOLMetric().process(None, [sample])
    sample['wsol_geometry'] = dict(
        scale=(1.0, 1.0), offset=(0.0, -1.0), shape=(20, 16), tracked=True
    )
    with pytest.raises(ValueError, match=r'x\.jpg.*\(16, 16\).*\(20, 16\)'):
        WSOLMetric().process(None, [sample])
    # a plain resize to another size is rescaled to the map (community)
    sample['wsol_geometry'] = dict(
        scale=(1.25, 1.0), offset=(0.0, 0.0), shape=(16, 20), tracked=True
    )
    WSOLMetric().process(None, [sample])
    metric = WSOLMetric()
    metric.dataset_meta = dict(
        wsol_untracked_transforms=[
            dict(index=2, type='mmpretrain.RandomResizedCrop')
        ]
    )
    with pytest.raises(
        ValueError,
        match=r"pipeline\[2\] \(type 'mmpretrain.Random"
        r"ResizedCrop'.*test_dataloader.dataset.pipeline\[2\]",
    ):
        metric.process(None, block_samples())


# ------------------------------------------------------------ golden data
GOLDEN = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))),
    'data',
    'wsolevaluation_golden',
)


def _golden_lines(name):
    with open(osp.join(GOLDEN, 'metadata', 'boxes', name)) as f:
        return [line.strip().split(',') for line in f if line.strip()]


@pytest.mark.parametrize(
    'rule, curve', [('largest', 'MaxBoxAcc'), ('all', 'MaxBoxAccV2')]
)
def test_fixed_threshold_numbers_match_the_community_curves(rule, curve):
    """GT-known Loc at θ = 0.2 (max standard) is the community evaluator's
    accuracy curve at IoU 50 and CAM threshold 0.2 (largest contour:
    MaxBoxAcc; all contours: MaxBoxAccV2); its ``_best`` form is the curve's
    maximum."""
    expected = json.load(open(osp.join(GOLDEN, 'expected.json')))
    expected = expected['interval_0.01']
    with np.load(osp.join(GOLDEN, 'maps.npz')) as data:
        maps = dict(zip((str(i) for i in data['ids']), data['maps']))
    sizes = {
        n: (int(h), int(w)) for n, w, h in _golden_lines('image_sizes.txt')
    }
    boxes = {}
    for name, *box in _golden_lines('localization.txt'):
        boxes.setdefault(name, []).append([float(v) for v in box])
    samples = [
        dict(
            gt_cam=maps[name].astype(np.float64),
            ori_gt_bboxes=boxes[name],
            ori_shape=sizes[name],
            img_id=name,
        )
        for name in maps
    ]
    metric = WSOLMetric(box_rule=dict(box_mode=rule))
    metric.process(None, samples)
    result = metric.evaluate(len(samples))
    assert THRESHOLDS[20] == 0.2
    assert result['wsol/gt_known_loc'] == pytest.approx(
        expected[f'{curve}_curves']['50'][20], abs=1e-9
    )
    assert result['wsol/gt_known_loc_best'] == pytest.approx(
        expected[f'{curve}_per_iou']['50'], abs=1e-9
    )


def test_model_flag_reaches_the_metric():
    """End to end: a class whose weights hold inf gives the classifier's
    ``gt_cam_valid=False`` (and a zero map); the metric counts it."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.structures import DataSample

    from mmwsol.registry import MODELS

    init_default_scope('mmwsol')
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(root, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py')
    )
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        model.head.fc.weight[2, 0] = float('inf')
    inputs = (torch.rand(2, 3, 64, 64) * 255).to(torch.uint8)
    samples = [
        DataSample(
            metainfo=dict(ori_shape=(64, 64), img_path=f'{c}.png')
        ).set_gt_label(c)
        for c in (2, 1)
    ]
    outputs = model.test_step(dict(inputs=list(inputs), data_samples=samples))
    metric = WSOLMetric()
    for output in outputs:
        sample = output.to_dict()
        sample['ori_gt_bboxes'] = torch.tensor([[8.0, 8.0, 40.0, 40.0]])
        metric.process(None, [sample])
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        result = metric.evaluate(2)
    assert result['wsol/invalid_maps'] == 1
    assert '2.png' in log.call_args[0][0]
