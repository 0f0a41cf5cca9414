"""Tests of WSOLMetric's GT boxes under the pipeline's geometry record
(resize + crop), boxes cropped away and untracked transforms."""

from unittest import mock

import numpy as np
import pytest
from wsol_metric_utils import (
    block_map,
    block_samples,
    evaluate,
    make_sample,
    random_samples,
)

from mmwsol.evaluation import WSOLMetric


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
    with mock.patch('mmwsol.evaluation.metrics.box_entries.print_log') as log:
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
