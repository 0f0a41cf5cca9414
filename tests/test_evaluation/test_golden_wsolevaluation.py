"""Golden numbers: mmwsol's metrics equal the community evaluator's.

``tests/data/wsolevaluation_golden`` (see its README.md) holds 40 CAM-like
maps, GT boxes, instance masks with ignore regions, and the numbers that
clovaai/wsolevaluation's ``evaluation.py`` computed on them: MaxBoxAcc
(largest contour) and MaxBoxAccV2 (all contours) per IoU threshold, the
box-accuracy curves, and PxAP, at CAM intervals 0.01 and 0.001.

The samples are built here from the raw files with the community's own
steps (GT boxes rescaled later by the metric; masks read in grayscale,
each resized to 224 x 224 with nearest neighbour, ``> 0.5``, OR-ed, ignore
``& ~foreground``), independently of mmwsol's readers, and fed to
``WSOLMetric``, ``WSOLMaskMetric`` and ``tools/analysis/eval_scoremaps.py``.
The metrics' arguments are given explicitly: only the MaxBoxAcc / PxAP
numbers are compared.
"""

import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmwsol.evaluation import WSOLMaskMetric, WSOLMetric
from mmwsol.evaluation.functional import box_correctness
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GOLDEN = osp.join(ROOT, 'tests', 'data', 'wsolevaluation_golden')
INTERVALS = ('0.01', '0.001')
IOUS = (30, 50, 70)
#: float rounding only
TOL = 1e-9
BACKENDS = ('opencv',) + (('compiled',) if has_compiled_sweep() else ())


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


@pytest.fixture(scope='module')
def golden():
    expected = _read_json(osp.join(GOLDEN, 'expected.json'))
    with np.load(osp.join(GOLDEN, 'maps.npz')) as data:
        ids = [str(i) for i in data['ids']]
        maps = data['maps']
    assert maps.shape == (40, 224, 224) and maps.dtype == np.float32
    box_dir = osp.join(GOLDEN, 'metadata', 'boxes')
    assert read_lines(osp.join(box_dir, 'image_ids.txt')) == ids
    sizes = {}
    for line in read_lines(osp.join(box_dir, 'image_sizes.txt')):
        name, w, h = line.split(',')
        sizes[name] = (int(h), int(w))
    boxes = {name: [] for name in ids}
    for line in read_lines(osp.join(box_dir, 'localization.txt')):
        name, *coords = line.split(',')
        boxes[name].append([float(v) for v in coords])
    masks = {name: [None, []] for name in ids}
    mask_dir = osp.join(GOLDEN, 'metadata', 'masks')
    for line in read_lines(osp.join(mask_dir, 'localization.txt')):
        name, mask, ignore = (line.split(',') + [''])[:3]
        masks[name][1].append(mask)
        if ignore:
            masks[name][0] = ignore
    return dict(
        expected=expected,
        ids=ids,
        maps=maps,
        sizes=sizes,
        boxes=boxes,
        masks=masks,
    )


def _read_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def community_mask(mask_files, ignore_file):
    """The label map of wsolevaluation's ``get_mask`` at 224 x 224."""
    size = (224, 224)
    foreground = np.zeros(size, dtype=bool)
    for name in mask_files:
        mask = cv2.imread(
            osp.join(GOLDEN, 'masks', name), cv2.IMREAD_GRAYSCALE
        ).astype(np.float64)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        foreground |= mask > 0.5
    ignore = cv2.imread(
        osp.join(GOLDEN, 'masks', ignore_file), cv2.IMREAD_GRAYSCALE
    )
    ignore = cv2.resize(ignore, size, interpolation=cv2.INTER_NEAREST) > 0.5
    ignore &= ~foreground
    return foreground.astype(np.uint8) + 255 * ignore.astype(np.uint8)


def box_samples(golden):
    for name, scoremap in zip(golden['ids'], golden['maps']):
        yield dict(
            img_id=name,
            gt_cam=torch.from_numpy(scoremap),
            ori_gt_bboxes=torch.tensor(golden['boxes'][name]),
            ori_shape=golden['sizes'][name],
        )


def run_metric(metric, samples):
    for sample in samples:
        metric.process(None, [sample])
    return metric.compute_metrics(metric.results)


def assert_close(got, expected, what):
    assert abs(got - expected) <= TOL, f'{what}: {got!r} != {expected!r}'


# ------------------------------------------------------------ WSOLMetric
@pytest.mark.parametrize('interval', INTERVALS)
@pytest.mark.parametrize(
    'mode, name', [('all', 'MaxBoxAccV2'), ('largest', 'MaxBoxAcc')]
)
def test_wsol_metric_equals_the_community_evaluator(
    golden, tmp_path, interval, mode, name
):
    expected = golden['expected'][f'interval_{interval}']
    curves_file = str(tmp_path / 'curves.json')
    metric = WSOLMetric(
        iou_thresholds=IOUS,
        cam_curve_interval=float(interval),
        box_mode=mode,
        curves_file=curves_file,
    )
    got = run_metric(metric, box_samples(golden))
    for iou in IOUS:
        assert_close(
            got[f'{name}@{iou}'],
            expected[f'{name}_per_iou'][str(iou)],
            f'{name}@{iou}',
        )
    if mode == 'all':  # MaxBoxAccV2: the mean over IoU 30/50/70
        assert_close(got['MaxBoxAccV2'], expected['MaxBoxAccV2'], name)
    else:  # MaxBoxAcc: IoU 50
        assert_close(got['MaxBoxAcc@50'], expected['MaxBoxAcc'], name)
    curves = _read_json(curves_file)
    assert curves['iou_thresholds'] == [30.0, 50.0, 70.0]
    assert np.array_equal(
        curves['thresholds'], np.arange(0, 1, float(interval))
    )
    if f'{name}_curves' in expected:
        for row, iou in zip(curves['accuracy'], IOUS):
            want = expected[f'{name}_curves'][str(iou)]
            assert len(row) == len(want)
            assert np.max(np.abs(np.subtract(row, want))) <= TOL, iou


@pytest.mark.parametrize('interval', INTERVALS)
def test_wsol_metric_maxboxacc_at_iou_50(golden, interval):
    """MaxBoxAcc as the community reports it: box_mode 'largest' at IoU 50
    alone."""
    expected = golden['expected'][f'interval_{interval}']
    metric = WSOLMetric(
        iou_thresholds=(50,),
        cam_curve_interval=float(interval),
        box_mode='largest',
    )
    got = run_metric(metric, box_samples(golden))
    assert_close(got['MaxBoxAcc'], expected['MaxBoxAcc'], 'MaxBoxAcc')


def test_wsol_metric_default_maxboxacc_is_the_community_number(golden):
    expected = golden['expected']['interval_0.01']
    metric = WSOLMetric(cam_curve_interval=0.01, box_mode='largest')
    got = run_metric(metric, box_samples(golden))
    assert_close(got['MaxBoxAcc'], expected['MaxBoxAcc'], 'MaxBoxAcc')


@pytest.mark.parametrize('interval', INTERVALS)
@pytest.mark.parametrize(
    'mode, name', [('all', 'MaxBoxAccV2'), ('largest', 'MaxBoxAcc')]
)
@pytest.mark.parametrize('backend', BACKENDS)
def test_every_box_backend_gives_the_golden_numbers(
    golden, interval, mode, name, backend
):
    """With or without the compiled sweeps (a machine without a C
    compiler runs 'opencv'), the same golden numbers."""
    expected = golden['expected'][f'interval_{interval}']
    thresholds = np.arange(0, 1, float(interval))
    correct = []
    for image, scoremap in zip(golden['ids'], golden['maps']):
        height, width = golden['sizes'][image]
        gt = [
            [
                int(x0 * 224 / width),
                int(y0 * 224 / height),
                int(x1 * 224 / width),
                int(y1 * 224 / height),
            ]
            for x0, y0, x1, y1 in golden['boxes'][image]
        ]
        correct.append(
            box_correctness(
                scoremap, np.array(gt), thresholds, IOUS, mode, backend
            )
        )
    accuracy = np.sum(correct, axis=0) * 100.0 / len(correct)
    for row, iou in zip(accuracy, IOUS):
        assert_close(row.max(), expected[f'{name}_per_iou'][str(iou)], iou)
        if f'{name}_curves' in expected:
            want = expected[f'{name}_curves'][str(iou)]
            assert np.max(np.abs(row - want)) <= TOL, iou


# -------------------------------------------------------- WSOLMaskMetric
@pytest.mark.parametrize('interval', INTERVALS)
def test_wsol_mask_metric_equals_the_community_evaluator(golden, interval):
    expected = golden['expected'][f'interval_{interval}']
    samples = (
        dict(
            img_id=name,
            gt_cam=torch.from_numpy(scoremap),
            gt_mask=torch.from_numpy(
                community_mask(*reversed(golden['masks'][name]))
            ),
        )
        for name, scoremap in zip(golden['ids'], golden['maps'])
    )
    metric = WSOLMaskMetric(
        cam_curve_interval=float(interval), classification=False
    )
    got = run_metric(metric, samples)
    assert_close(got['PxAP'], expected['PxAP'], 'PxAP')


# ------------------------------------------- tools/analysis/eval_scoremaps
def load_tool():
    path = osp.join(ROOT, 'tools', 'analysis', 'eval_scoremaps.py')
    spec = importlib.util.spec_from_file_location(
        '_golden_eval_scoremaps', path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def scoremap_dir(golden, tmp_path_factory):
    """The maps saved as wsolevaluation saves them: <image_id>.npy."""
    folder = tmp_path_factory.mktemp('golden_scoremaps')
    for name, scoremap in zip(golden['ids'], golden['maps']):
        path = folder / (name + '.npy')
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, scoremap)
    return str(folder)


@pytest.mark.parametrize('interval', INTERVALS)
def test_eval_scoremaps_equals_the_community_evaluator(
    golden, scoremap_dir, tmp_path, interval, capsys
):
    expected = golden['expected'][f'interval_{interval}']
    tool = load_tool()
    boxes = osp.join(GOLDEN, 'metadata', 'boxes')
    common = [
        '--scoremaps',
        scoremap_dir,
        '--interval',
        interval,
        '--no-progress',
    ]
    # MaxBoxAccV2 (the default), with its curves
    curves_file = str(tmp_path / 'v2.json')
    out_file = str(tmp_path / 'v2_metrics.json')
    got = tool.main(
        ['--metadata', boxes, '--curves', curves_file, '--out', out_file]
        + common
    )
    assert_close(got['MaxBoxAccV2'], expected['MaxBoxAccV2'], 'MaxBoxAccV2')
    assert _read_json(out_file) == got
    for iou in IOUS:
        assert_close(
            got[f'MaxBoxAccV2@{iou}'],
            expected['MaxBoxAccV2_per_iou'][str(iou)],
            iou,
        )
    if 'MaxBoxAccV2_curves' in expected:
        rows = _read_json(curves_file)['accuracy']
        for row, iou in zip(rows, IOUS):
            want = expected['MaxBoxAccV2_curves'][str(iou)]
            assert np.max(np.abs(np.subtract(row, want))) <= TOL, iou
    # MaxBoxAcc (V1): IoU 50 by default, the per-IoU values on request
    got = tool.main(['--metadata', boxes, '--box-v1'] + common)
    assert_close(got['MaxBoxAcc'], expected['MaxBoxAcc'], 'MaxBoxAcc')
    got = tool.main(
        ['--metadata', boxes, '--box-v1', '--iou-thresholds', '30', '50', '70']
        + common
    )
    for iou in IOUS:
        assert_close(
            got[f'MaxBoxAcc@{iou}'],
            expected['MaxBoxAcc_per_iou'][str(iou)],
            iou,
        )
    # PxAP from the mask metadata
    got = tool.main(
        [
            '--metadata',
            osp.join(GOLDEN, 'metadata', 'masks'),
            '--mask-root',
            osp.join(GOLDEN, 'masks'),
        ]
        + common
    )
    assert_close(got['PxAP'], expected['PxAP'], 'PxAP')
    capsys.readouterr()


def test_golden_data_is_complete():
    """The copy in tests/data is whole (git keeps it: it is data)."""
    names = []
    for folder, _, files in os.walk(GOLDEN):
        names += [osp.relpath(osp.join(folder, f), GOLDEN) for f in files]
    assert 'expected.json' in names and 'maps.npz' in names
    masks = [n for n in names if n.endswith('.png')]
    listed = set()
    for line in read_lines(
        osp.join(GOLDEN, 'metadata', 'masks', 'localization.txt')
    ):
        listed.update(osp.join('masks', p) for p in line.split(',')[1:] if p)
    assert listed == set(masks)
