"""Curve plots (mmwsol.visualization.curves) and the plot_curves tool."""

import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmwsol.visualization.curves import (
    best_point,
    box_accuracy_curves,
    load_curves,
    plot_curves,
    save_figure,
    split_curves,
)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
THRESHOLDS = np.arange(0, 1, 0.1).tolist()


def box_curves(peak=0.3):
    """Accuracy rising to a peak at ``peak`` then falling, per IoU."""
    t = np.asarray(THRESHOLDS)
    rows = [
        np.clip(100 - 150 * np.abs(t - peak) - 20 * k, 0, 100)
        for k in range(3)
    ]
    return dict(
        thresholds=THRESHOLDS,
        iou_thresholds=[30, 50, 70],
        accuracy=[r.tolist() for r in rows],
        box_mode='all',
        interval=0.1,
        num_images=10,
    )


def mask_curves():
    recall = np.linspace(1, 0, len(THRESHOLDS))
    precision = (0.3 + 0.7 * (1 - recall)).tolist()
    precision[-1] = None  # nothing predicted at the highest threshold
    return dict(
        thresholds=THRESHOLDS,
        precision=precision,
        recall=recall.tolist(),
        iou=[0.2] * len(THRESHOLDS),
        PxAP=61.5,
        pIoU=20.0,
        peak_threshold=0.0,
        interval=0.1,
        num_images=10,
    )


def plot_tool():
    path = osp.join(ROOT, 'tools', 'analysis', 'plot_curves.py')
    spec = importlib.util.spec_from_file_location('_plot_curves', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_json(path, data):
    path.write_text(json.dumps(data))
    return str(path)


def test_split_curves_detects_the_kind():
    box, mask = box_curves(), mask_curves()
    assert split_curves(box) == (box, None)
    assert split_curves(mask) == (None, mask)
    assert split_curves(dict(box=box, mask=mask)) == (box, mask)
    assert split_curves(dict(mask=mask)) == (None, mask)
    assert split_curves(dict(other=1)) == (None, None)
    with pytest.raises(ValueError, match='"box" entry'):
        split_curves(dict(box=dict(thresholds=[0.0])))
    with pytest.raises(ValueError, match='JSON object'):
        split_curves([1, 2])


def test_box_accuracy_curves_forms():
    box = box_curves()
    as_list = box_accuracy_curves(box)
    assert list(as_list) == [30.0, 50.0, 70.0]
    keyed = dict(
        box,
        accuracy={
            '70': box['accuracy'][2],
            '30': box['accuracy'][0],
            '50': box['accuracy'][1],
        },
    )
    as_dict = box_accuracy_curves(keyed)
    assert list(as_dict) == [30.0, 50.0, 70.0]
    for iou in as_list:
        np.testing.assert_array_equal(as_list[iou], as_dict[iou])
    with pytest.raises(ValueError, match='2 accuracy curves'):
        box_accuracy_curves(dict(box, accuracy=box['accuracy'][:2]))
    with pytest.raises(ValueError, match='values for 10 thresholds'):
        box_accuracy_curves(dict(box, accuracy=[[1.0]] * 3))


def test_best_point_takes_the_smallest_threshold_on_ties():
    t = np.array([0.0, 0.1, 0.2, 0.3])
    assert best_point(t, np.array([10.0, 40.0, 40.0, np.nan])) == (0.1, 40.0)


@pytest.mark.parametrize(
    'kind,width', [('box', 640), ('mask', 640), ('both', 1280)]
)
def test_plot_tool_writes_a_png(tmp_path, kind, width):
    data = dict(
        box=box_curves(),
        mask=mask_curves(),
        both=dict(box=box_curves(), mask=mask_curves()),
    )[kind]
    src = write_json(tmp_path / 'c.json', data)
    out = tmp_path / 'out' / 'plot.png'
    assert plot_tool().main([src, '--out', str(out)]) == str(out)
    image = cv2.imread(str(out))
    assert image is not None and image.shape == (480, width, 3)
    assert image.std() > 0  # something is drawn


def test_several_runs_on_one_figure(tmp_path):
    a = write_json(
        tmp_path / 'a.json', dict(box=box_curves(0.2), mask=mask_curves())
    )
    b = write_json(tmp_path / 'b.json', box_curves(0.5))
    out = tmp_path / 'cmp.png'
    plot_tool().main(
        [a, b, '--labels', 'CAM', 'SPA', '--out', str(out), '--dpi', '50']
    )
    assert cv2.imread(str(out)).shape == (240, 640, 3)
    fig = plot_curves([load_curves(a), load_curves(b)], ['CAM', 'SPA'])
    box_ax, mask_ax = fig.axes
    legend = [t.get_text() for t in box_ax.get_legend().get_texts()]
    assert len(legend) == 6  # 2 runs x 3 IoU thresholds
    assert legend[0] == 'CAM, IoU 30: 100.0 @ 0.2'
    assert legend[3] == 'SPA, IoU 30: 100.0 @ 0.5'
    pr_legend = [t.get_text() for t in mask_ax.get_legend().get_texts()]
    assert pr_legend == ['CAM (PxAP 61.50, pIoU 20.0 @ 0)']
    # runs differ by colour, IoU thresholds by line style
    lines = [ln for ln in box_ax.get_lines() if ln.get_linestyle() != 'None']
    assert {ln.get_color() for ln in lines[:3]} == {'C0'}
    assert lines[3].get_color() == 'C1'
    assert [ln.get_linestyle() for ln in lines[:3]] == ['-', '--', ':']
    # the best point of each curve is marked
    markers = [ln for ln in box_ax.get_lines() if ln.get_marker() == 'o']
    assert [float(m.get_xdata()[0]) for m in markers[:3]] == [0.2] * 3
    save_figure(fig, str(tmp_path / 'deep' / 'f.png'))
    assert osp.isfile(tmp_path / 'deep' / 'f.png')


def test_bad_curves_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_curves(str(tmp_path / 'none.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    with pytest.raises(ValueError, match='not valid JSON'):
        load_curves(str(bad))
    with pytest.raises(ValueError, match='neither box curves'):
        load_curves(write_json(tmp_path / 'x.json', dict(a=1)))
    with pytest.raises(ValueError, match='No curves'):
        plot_curves([])
    with pytest.raises(ValueError, match='labels'):
        plot_curves([box_curves()], ['a', 'b'])
    with pytest.raises(SystemExit):
        plot_tool().main(
            [
                write_json(tmp_path / 'y.json', box_curves()),
                '--labels',
                'a',
                'b',
                '--out',
                'x.png',
            ]
        )
