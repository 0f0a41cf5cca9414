"""PxAP / pIoU against a direct per-threshold computation."""
import numpy as np
import pytest
import torch

from mmwsol.registry import METRICS


def _reference(maps, masks, interval):
    """Threshold every map at each t (score >= t) and count pixels."""
    thresholds = list(np.arange(0, 1, interval)) + [1., 2.]
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
    ap = 0.
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
        m[rng.random(size) < 0.1] = 0.
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
        dict(type='WSOLMaskMetric', cam_curve_interval=interval))
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
    assert res['PxAP'] == pytest.approx(100.)
    assert res['pIoU'] == pytest.approx(100.)
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
        parts[0].results + parts[1].results)


def test_errors():
    metric = METRICS.build(dict(type='WSOLMaskMetric'))
    with pytest.raises(KeyError, match='gt_mask'):
        metric.process(None, [dict(gt_cam=np.zeros((2, 2)), img_id='a.png')])
    metric.process(None, [
        dict(gt_cam=np.zeros((2, 2), np.float32),
             gt_mask=np.zeros((2, 2), np.uint8))
    ])
    with pytest.raises(ValueError, match='No positive'):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='shape'):
        metric.process(None, [
            dict(gt_cam=np.zeros((2, 3), np.float32),
                 gt_mask=np.zeros((2, 2), np.uint8))
        ])
