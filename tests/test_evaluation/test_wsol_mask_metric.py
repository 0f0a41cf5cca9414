"""PxAP / pIoU against a direct per-threshold computation."""

import json
from unittest import mock

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmwsol.registry import METRICS


def _reference(maps, masks, interval):
    """Threshold every map at each t (score >= t) and count pixels."""
    thresholds = list(np.arange(0, 1, interval)) + [1.0, 2.0]
    scores = np.concatenate([m.ravel() for m in maps])
    labels = np.concatenate([k.ravel() for k in masks])
    keep = labels != 255
    scores, fg = scores[keep], labels[keep] == 1
    num_fg = fg.sum()
    prec, rec, ious = [], [], []
    for t in thresholds[::-1]:  # from the highest threshold down
        pred = scores >= t
        tp = float((pred & fg).sum())
        fp = float((pred & ~fg).sum())
        fn = num_fg - tp
        prec.append(tp / (tp + fp) if tp + fp > 0 else np.nan)
        rec.append(tp / num_fg)
        ious.append((tp / (tp + fp + fn), t))
    ap = 0.0
    for i in range(1, len(prec)):
        if not np.isnan(prec[i]):
            ap += prec[i] * (rec[i] - rec[i - 1])
    real = [(iou, t) for iou, t in ious if t < 1]
    best = max(iou for iou, _ in real)
    peak_t = max(t for iou, t in real if iou == best)
    return ap * 100, best * 100, peak_t


def _random_case(rng, n=5, size=(20, 24)):
    maps, masks = [], []
    for _ in range(n):
        m = rng.random(size).astype(np.float32)
        m[rng.random(size) < 0.1] = 0.0
        if rng.random() < 0.3:
            m = np.round(m, 1)  # values exactly on thresholds
        k = (rng.random(size) < 0.3).astype(np.uint8)
        k[rng.random(size) < 0.1] = 255
        maps.append(m)
        masks.append(k)
    return maps, masks


@pytest.mark.parametrize('seed', range(6))
def test_pxap_and_piou_match_direct_computation(seed):
    rng = np.random.default_rng(seed)
    maps, masks = _random_case(rng)
    interval = 0.05 if seed % 2 else 0.01
    metric = METRICS.build(
        dict(type='WSOLMaskMetric', cam_curve_interval=interval)
    )
    samples = [
        dict(gt_cam=torch.from_numpy(m), gt_mask=torch.from_numpy(k))
        for m, k in zip(maps, masks)
    ]
    metric.process(None, samples)
    res = metric.compute_metrics(metric.results)
    ap, piou, peak_t = _reference(maps, masks, interval)
    assert res['PxAP'] == pytest.approx(ap, abs=1e-9)
    assert res['pIoU'] == pytest.approx(piou, abs=1e-9)
    assert res['peak_threshold'] == pytest.approx(peak_t)


def test_perfect_map_and_chunk_invariance():
    mask = np.zeros((10, 10), np.uint8)
    mask[2:6, 3:8] = 1
    perfect = mask.astype(np.float32)
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    metric.process(None, [dict(gt_cam=perfect, gt_mask=mask)])
    res = metric.compute_metrics(metric.results)
    assert res['PxAP'] == pytest.approx(100.0)
    assert res['pIoU'] == pytest.approx(100.0)
    # splitting the samples in chunks (distributed gather) changes nothing
    rng = np.random.default_rng(3)
    maps, masks = _random_case(rng, n=7)
    samples = [dict(gt_cam=m, gt_mask=k) for m, k in zip(maps, masks)]
    whole = METRICS.build(dict(type='WSOLMaskMetric'))
    whole.process(None, samples)
    parts = [METRICS.build(dict(type='WSOLMaskMetric')) for _ in range(2)]
    parts[0].process(None, samples[:3])
    parts[1].process(None, samples[3:])
    assert whole.compute_metrics(whole.results) == whole.compute_metrics(
        parts[0].results + parts[1].results
    )


def test_errors():
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    with pytest.raises(KeyError, match='gt_mask'):
        metric.process(None, [dict(gt_cam=np.zeros((2, 2)), img_id='a.png')])
    metric.process(
        None,
        [
            dict(
                gt_cam=np.zeros((2, 2), np.float32),
                gt_mask=np.zeros((2, 2), np.uint8),
            )
        ],
    )
    with pytest.raises(ValueError, match='No positive'):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='shape'):
        metric.process(
            None,
            [
                dict(
                    gt_cam=np.zeros((2, 3), np.float32),
                    gt_mask=np.zeros((2, 2), np.uint8),
                )
            ],
        )


def _per_threshold_reference(maps, masks, interval):
    """Precision, recall and IoU at each threshold t (score >= t)."""
    scores = np.concatenate([m.ravel() for m in maps])
    labels = np.concatenate([k.ravel() for k in masks])
    keep = labels != 255
    scores, fg = scores[keep], labels[keep] == 1
    prec, rec, iou = [], [], []
    for t in np.arange(0, 1, interval):
        pred = scores >= t
        tp = float((pred & fg).sum())
        fp = float((pred & ~fg).sum())
        fn = float(fg.sum()) - tp
        prec.append(tp / (tp + fp) if tp + fp > 0 else None)
        rec.append(tp / fg.sum())
        iou.append(tp / (tp + fp + fn))
    return prec, rec, iou


def test_curves_file(tmp_path):
    rng = np.random.default_rng(11)
    maps, masks = _random_case(rng, n=4)
    maps[0][:] = 0.0  # some thresholds then predict nothing in that map
    path = tmp_path / 'sub' / 'curves.json'
    metric = METRICS.build(
        dict(
            type='WSOLMaskMetric',
            cam_curve_interval=0.05,
            curves_file=str(path),
        )
    )
    metric.process(
        None, [dict(gt_cam=m, gt_mask=k) for m, k in zip(maps, masks)]
    )
    res = metric.compute_metrics(metric.results)
    curves = json.loads(path.read_text())
    assert curves['thresholds'] == pytest.approx(np.arange(0, 1, 0.05))
    prec, rec, iou = _per_threshold_reference(maps, masks, 0.05)
    for got, want in zip(curves['precision'], prec):
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, abs=1e-12)
    assert curves['recall'] == pytest.approx(rec, abs=1e-12)
    assert curves['iou'] == pytest.approx(iou, abs=1e-12)
    assert curves['recall'][0] == 1.0
    for key in ('PxAP', 'pIoU', 'peak_threshold'):
        assert curves[key] == res[key]
    assert max(curves['iou']) * 100 == pytest.approx(res['pIoU'])
    assert curves['num_images'] == 4
    assert curves['interval'] == 0.05
    labels = np.concatenate([k.ravel() for k in masks])
    assert curves['num_foreground_pixels'] == int((labels == 1).sum())
    assert curves['num_background_pixels'] == int((labels == 0).sum())


def test_all_predicted_nothing_precision_is_null(tmp_path):
    """A map of zeros predicts nothing above t > 0: precision is null."""
    mask = np.zeros((4, 4), np.uint8)
    mask[:2] = 1
    path = tmp_path / 'c.json'
    metric = METRICS.build(
        dict(
            type='WSOLMaskMetric',
            cam_curve_interval=0.5,
            curves_file=str(path),
        )
    )
    metric.process(None, [dict(gt_cam=np.zeros((4, 4)), gt_mask=mask)])
    metric.compute_metrics(metric.results)
    curves = json.loads(path.read_text())
    assert curves['precision'] == [0.5, None]
    assert curves['recall'] == [1.0, 0.0]
    assert curves['iou'] == [0.5, 0.0]


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_invalid_map_is_an_empty_prediction(bad):
    """A map with one non-finite value is evaluated as all zeros (not
    value by value), counted and named in a warning."""
    mask = np.zeros((6, 6), np.uint8)
    mask[1:4, 1:4] = 1
    cam = np.linspace(0, 1, 36).reshape(6, 6)
    cam[0, 2] = bad
    results = []
    with mock.patch(
        'mmwsol.evaluation.metrics.sample_inputs.print_log'
    ) as log:
        for m in (cam, np.zeros((6, 6))):
            metric = METRICS.build(dict(type='WSOLMaskMetric'))
            metric.process(
                None,
                [
                    dict(
                        gt_cam=torch.from_numpy(m),
                        gt_mask=torch.from_numpy(mask),
                        img_path='bad.jpg',
                    )
                ],
            )
            results.append(metric.compute_metrics(metric.results))
    assert results[0].pop('mask_invalid_maps') == 1
    assert results[1].pop('mask_invalid_maps') == 0
    assert results[0] == results[1]
    assert log.call_count == 1 and 'bad.jpg' in log.call_args[0][0]


def test_flagged_map_is_invalid():
    mask = np.zeros((6, 6), np.uint8)
    mask[1:4, 1:4] = 1
    cam = np.zeros((6, 6))
    cam[1:4, 1:4] = 1.0
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    metric.process(
        None,
        [
            dict(gt_cam=cam, gt_mask=mask, gt_cam_valid=torch.tensor(False)),
            dict(gt_cam=cam, gt_mask=mask, gt_cam_valid=True),
        ],
    )
    res = metric.compute_metrics(metric.results)
    assert res['mask_invalid_maps'] == 1
    # one perfect map, one empty: precision 1 at every t > 0, recall 1/2
    assert res['pIoU'] == pytest.approx(50.0)


def test_box_and_mask_metrics_share_an_evaluator():
    """Both count invalid maps under different keys (no name clash)."""
    cam = np.zeros((6, 6))
    cam[1:4, 1:4] = np.nan
    sample = dict(
        gt_cam=cam,
        gt_mask=np.ones((6, 6), np.uint8),
        ori_gt_bboxes=np.array([[1.0, 1.0, 3.0, 3.0]]),
        ori_shape=(6, 6),
    )
    evaluator = Evaluator(
        [
            METRICS.build(dict(type='WSOLMetric')),
            METRICS.build(dict(type='WSOLMaskMetric', classification=False)),
        ]
    )
    evaluator.process([sample])
    res = evaluator.evaluate(1)
    assert res['wsol/invalid_maps'] == res['wsol/mask_invalid_maps'] == 1


def test_untracked_pipeline_is_refused():
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    metric.dataset_meta = dict(
        wsol_untracked_transforms=[dict(index=1, type='mmpretrain.ResizeEdge')]
    )
    with pytest.raises(
        ValueError,
        match=r'WSOLMaskMetric.*pipeline\[1\] '
        r"\(type 'mmpretrain.ResizeEdge'",
    ):
        metric.process(
            None, [dict(gt_cam=np.zeros((3, 3)), gt_mask=np.ones((3, 3)))]
        )
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    geometry = dict(
        scale=(1.0, 1.0), offset=(0.0, 0.0), shape=(3, 3), tracked=False
    )
    with pytest.raises(ValueError, match=r'y\.jpg.*without updating'):
        metric.process(
            None,
            [
                dict(
                    gt_cam=np.zeros((3, 3)),
                    gt_mask=np.ones((3, 3)),
                    img_id='y.jpg',
                    wsol_geometry=geometry,
                )
            ],
        )


@pytest.mark.parametrize(
    'bad,match',
    [
        (1.5, r'\[0, 1\]'),
        (-0.1, r'\[0, 1\]'),
    ],
)
def test_out_of_range_map_names_the_image(bad, match):
    cam = np.full((3, 3), 0.5)
    cam[1, 1] = bad
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    with pytest.raises(ValueError, match=match) as info:
        metric.process(
            None,
            [dict(gt_cam=cam, gt_mask=np.ones((3, 3)), img_path='dir/x.jpg')],
        )
    assert 'dir/x.jpg' in str(info.value)


def test_shape_errors_name_the_image():
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    with pytest.raises(ValueError, match=r'x\.jpg.*\(H, W\)'):
        metric.process(
            None,
            [
                dict(
                    gt_cam=np.zeros((2, 3, 3)),
                    gt_mask=np.ones((3, 3)),
                    img_id='x.jpg',
                )
            ],
        )
    with pytest.raises(ValueError, match=r'x\.jpg.*shape'):
        metric.process(
            None,
            [
                dict(
                    gt_cam=np.zeros((3, 4)),
                    gt_mask=np.ones((3, 3)),
                    img_id='x.jpg',
                )
            ],
        )
    # (1, H, W) maps and masks are accepted
    metric.process(
        None, [dict(gt_cam=np.zeros((1, 3, 3)), gt_mask=np.ones((1, 3, 3)))]
    )


def test_entries_are_compact_and_exact():
    """Per-sample entries are small unsigned histograms; sums are exact."""
    metric = METRICS.build(
        dict(type='WSOLMaskMetric', cam_curve_interval=0.001)
    )
    mask = np.ones((224, 224), np.uint8)
    metric.process(
        None, [dict(gt_cam=np.full((224, 224), 0.7), gt_mask=mask)] * 3
    )
    entry = metric.results[0]
    assert entry['fg'].dtype == np.uint16 and entry['fg'].shape == (1002,)
    fg_total = sum(int(r['fg'].sum()) for r in metric.results)
    assert fg_total == 3 * 224 * 224  # would wrap around in uint16
    curves = metric.compute_metrics(metric.results)
    assert curves['PxAP'] == pytest.approx(100.0)
