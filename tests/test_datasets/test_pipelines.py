"""The standard train and test pipelines, end to end on tiny datasets."""

import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from wsol_data_utils import (
    BOX_SAMPLES,
    box_dataset_cfg,
    rect_mask,
    write_image,
    write_mask,
    write_text,
)

from mmwsol.datasets.transforms import RandomCrop, RandomFlip
from mmwsol.registry import DATASETS, METRICS

TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackWSOLInputs'),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]


def _loader(dataset_cfg, num_workers=0, collate='pseudo_collate'):
    return Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=num_workers,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type=collate),
            dataset=dataset_cfg,
        ),
        seed=0,
    )


def test_test_pipeline_on_boxes(box_split):
    dataset = DATASETS.build(
        box_dataset_cfg(box_split, TEST_PIPELINE, test_mode=True)
    )
    for i, (image_id, w, h, label, boxes) in enumerate(BOX_SAMPLES):
        packed = dataset[i]
        assert packed['inputs'].shape == (3, 224, 224)
        sample = packed['data_samples']
        assert sample.img_id == image_id
        assert sample.ori_shape == (h, w)
        assert sample.img_shape == (224, 224)
        assert sample.gt_label.tolist() == [label]
        np.testing.assert_array_equal(
            sample.ori_gt_bboxes.numpy(),
            np.array(boxes, np.float32).reshape(-1, 4),
        )
        # Reference 224x224 GT boxes: int(x * 224 / w) per coordinate.
        reference = [
            [
                int(x0 * 224 / w),
                int(y0 * 224 / h),
                int(x1 * 224 / w),
                int(y1 * 224 / h),
            ]
            for x0, y0, x1, y1 in boxes
        ]
        np.testing.assert_array_equal(
            sample.gt_bboxes.floor().numpy(),
            np.array(reference, np.float32).reshape(-1, 4),
        )
        assert 'gt_mask' not in sample


def test_test_pipeline_on_masks(mask_split):
    dataset = DATASETS.build(
        dict(
            type='WSOLDataset',
            data_root=mask_split['root'],
            metadata_dir='metadata/test',
            img_prefix='images',
            mask_prefix='masks',
            pipeline=TEST_PIPELINE,
            test_mode=True,
        )
    )
    masks = mask_split['masks']

    def resized(mask):
        return (
            cv2.resize(
                np.float32(mask) * 255,
                (224, 224),
                interpolation=cv2.INTER_NEAREST,
            )
            > 0.5
        )

    fg = resized(masks['a0']) | resized(masks['a1'])
    ignore = resized(masks['a_ignore']) & ~fg
    expected = fg.astype(np.uint8) + 255 * ignore.astype(np.uint8)
    sample = dataset[0]['data_samples']
    assert sample.gt_mask.shape == (224, 224)
    np.testing.assert_array_equal(sample.gt_mask.numpy(), expected)
    assert sample.gt_bboxes.shape == (0, 4)
    sample = dataset[1]['data_samples']
    np.testing.assert_array_equal(
        sample.gt_mask.numpy(), resized(masks['b0']).astype(np.uint8)
    )


def test_train_pipeline(mask_split):
    dataset = DATASETS.build(
        dict(
            type='WSOLDataset',
            data_root=mask_split['root'],
            metadata_dir='metadata/test',
            img_prefix='images',
            mask_prefix='masks',
            pipeline=TRAIN_PIPELINE,
        )
    )
    # Under scope 'mmwsol' the pipeline gets the WSOL variants.
    types = [type(t) for t in dataset.pipeline.transforms]
    assert RandomCrop in types and RandomFlip in types
    flips = set()
    for seed in range(8):
        np.random.seed(seed)
        packed = dataset[0]
        sample = packed['data_samples']
        assert packed['inputs'].shape == (3, 224, 224)
        assert sample.gt_mask.shape == (224, 224)
        assert sample.img_shape == (224, 224)
        assert sample.ori_shape == (29, 37)
        flips.add(sample.flip)
    assert flips == {True, False}


@pytest.mark.parametrize(
    'num_workers, collate', [(0, 'pseudo_collate'), (2, 'default_collate')]
)
def test_dataloader_from_runner(box_split, num_workers, collate):
    loader = _loader(
        box_dataset_cfg(box_split, TRAIN_PIPELINE), num_workers, collate
    )
    batches = list(loader)
    assert len(batches) == 2
    first = batches[0]
    inputs = first['inputs']
    if isinstance(inputs, list):
        inputs = torch.stack(inputs)
    assert inputs.shape == (2, 3, 224, 224)
    samples = first['data_samples']
    assert [s.img_id for s in samples] == ['cls0/a.png', 'cls1/b.png']
    assert all(s.gt_bboxes.shape[1] == 4 for s in samples)
    assert samples[1].ori_gt_bboxes.shape == (2, 4)


def test_missing_image_in_a_pipeline_names_the_path(box_split):
    os.remove(osp.join(box_split['images'], 'cls1', 'b.png'))
    dataset = DATASETS.build(
        box_dataset_cfg(box_split, TEST_PIPELINE, test_mode=True)
    )
    dataset[0]
    with pytest.raises(FileNotFoundError, match='images/cls1/b.png'):
        dataset[1]


# ------------------------------------------ evaluation in the maps' geometry
CROP_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='ResizeEdge', scale=256),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackWSOLInputs'),
]


def _crop_split(root):
    """One 500 x 400 image, box [301, 101, 449, 349] and a mask."""
    meta = osp.join(root, 'metadata', 'test')
    write_image(osp.join(root, 'images', 'a.png'), 500, 400)
    rng = np.random.RandomState(5)
    mask = rect_mask(500, 400, (301, 101, 449, 349)) & (
        rng.rand(400, 500) > 0.3
    )
    write_mask(osp.join(root, 'masks', 'a.png'), mask)
    write_text(osp.join(meta, 'image_ids.txt'), ['a.png'])
    write_text(osp.join(meta, 'class_labels.txt'), ['a.png,1'])
    write_text(osp.join(meta, 'image_sizes.txt'), ['a.png,500,400'])
    write_text(osp.join(meta, 'localization.txt'), ['a.png,301,101,449,349'])
    write_text(osp.join(meta, 'masks.txt'), ['a.png,a.png,'])
    return mask


def _crop_dataset(root, pipeline):
    return DATASETS.build(
        dict(
            type='WSOLDataset',
            data_root=root,
            metadata_dir='metadata/test',
            img_prefix='images',
            mask_prefix='masks',
            mask_file='masks.txt',
            num_classes=2,
            pipeline=pipeline,
            test_mode=True,
        )
    )


def _metric_sample(packed, cam):
    sample = packed['data_samples'].to_dict()
    sample.update(
        gt_cam=torch.as_tensor(cam, dtype=torch.float32),
        pred_score=torch.tensor([0.2, 0.8]),
    )
    return sample


def test_resize_edge_center_crop_boxes_and_masks(tmp_path):
    """ResizeEdge(256): 320 x 256, scale 0.64; CenterCrop(224): offset
    (48, 16). The GT box [301, 101, 449, 349] lies at [floor(192.64 - 48),
    floor(64.64 - 16), floor(287.36 - 48) -> 223, floor(223.36 - 16)] =
    [144, 48, 223, 207] on the map; the mask is the reference's nearest
    resize of the original mask, cropped."""
    mask = _crop_split(str(tmp_path))
    dataset = _crop_dataset(str(tmp_path), CROP_PIPELINE)
    packed = dataset[0]
    assert packed['inputs'].shape == (3, 224, 224)
    resized = (
        cv2.resize(
            np.float32(mask) * 255, (320, 256), interpolation=cv2.INTER_NEAREST
        )
        > 0.5
    )
    expected_mask = resized[16:240, 48:272].astype(np.uint8)
    np.testing.assert_array_equal(
        packed['data_samples'].gt_mask.numpy(), expected_mask
    )

    # the protocol's box of a block of rows y0..y1 - 1 is [.., y1] (OpenCV's
    # x + w), clipped to 223: rows 48..206 and columns 144..223
    box_map = np.zeros((224, 224))
    box_map[48:207, 144:224] = 1.0
    # IoU threshold 100: only the exact box counts
    metric = METRICS.build(dict(type='WSOLMetric', iou_thresholds=(100,)))
    metric.dataset_meta = dataset.metainfo
    metric.process(None, [_metric_sample(packed, box_map)])
    result = metric.evaluate(1)
    assert result['wsol/MaxBoxAccV2'] == 100.0
    assert result['wsol/gt_known_loc'] == 100.0
    # one pixel off in x0 is another box
    box_map[48:207, 143] = 1.0
    metric.process(None, [_metric_sample(packed, box_map)])
    assert metric.evaluate(1)['wsol/MaxBoxAccV2'] == 0.0
    mask_metric = METRICS.build(dict(type='WSOLMaskMetric'))
    mask_metric.dataset_meta = dataset.metainfo
    mask_metric.process(None, [_metric_sample(packed, expected_mask == 1)])
    assert mask_metric.evaluate(1)['wsol/PxAP'] == pytest.approx(100.0)


def test_plain_resize_pipeline_keeps_the_community_boxes(tmp_path):
    """The default test pipeline: int(x * 224 / w) of the original box:
    [134, 56, 201, 195]."""
    _crop_split(str(tmp_path))
    dataset = _crop_dataset(str(tmp_path), TEST_PIPELINE)
    packed = dataset[0]
    assert dataset.metainfo['wsol_untracked_transforms'] == []
    box_map = np.zeros((224, 224))
    box_map[56:195, 134:201] = 1.0  # box [134, 56, 201, 195] (x + w)
    metric = METRICS.build(dict(type='WSOLMetric', iou_thresholds=(100,)))
    metric.dataset_meta = dataset.metainfo
    metric.process(None, [_metric_sample(packed, box_map)])
    assert metric.evaluate(1)['wsol/MaxBoxAccV2'] == 100.0


@pytest.mark.parametrize(
    'index, transform, name',
    [
        (
            2,
            dict(type='mmpretrain.ResizeEdge', scale=256),
            'mmpretrain.ResizeEdge',
        ),
        (
            2,
            dict(type='RandomResizedCrop', scale=224),
            'mmpretrain.RandomResizedCrop',
        ),
        (3, dict(type='Rotate', angle=30.0), 'mmpretrain.Rotate'),
    ],
)
def test_untracked_transform_is_refused_by_name(
    tmp_path, index, transform, name
):
    _crop_split(str(tmp_path))
    pipeline = [dict(t) for t in CROP_PIPELINE]
    pipeline.insert(index, transform)
    dataset = _crop_dataset(str(tmp_path), pipeline)
    assert dataset.metainfo['wsol_untracked_transforms'] == [
        dict(index=index, type=name)
    ]
    packed = dataset[0]
    for cfg in (dict(type='WSOLMetric'), dict(type='WSOLMaskMetric')):
        metric = METRICS.build(cfg)
        metric.dataset_meta = dataset.metainfo
        with pytest.raises(
            ValueError,
            match=rf"pipeline\[{index}\] \(type '{name}': config key "
            rf'`test_dataloader.dataset.pipeline\[{index}\]`',
        ):
            metric.process(
                None, [_metric_sample(packed, np.zeros((224, 224)))]
            )
