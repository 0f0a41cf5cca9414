"""The standard train and test pipelines, end to end on tiny datasets."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from wsol_data_utils import BOX_SAMPLES, box_dataset_cfg

from mmwsol.datasets.transforms import RandomCrop, RandomFlip
from mmwsol.registry import DATASETS

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
    return Runner.build_dataloader(dict(batch_size=2,
                                        num_workers=num_workers,
                                        persistent_workers=False,
                                        sampler=dict(type='DefaultSampler',
                                                     shuffle=False),
                                        collate_fn=dict(type=collate),
                                        dataset=dataset_cfg),
                                   seed=0)


def test_test_pipeline_on_boxes(box_split):
    dataset = DATASETS.build(
        box_dataset_cfg(box_split, TEST_PIPELINE, test_mode=True))
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
            np.array(boxes, np.float32).reshape(-1, 4))
        # Reference 224x224 GT boxes: int(x * 224 / w) per coordinate.
        reference = [[
            int(x0 * 224 / w),
            int(y0 * 224 / h),
            int(x1 * 224 / w),
            int(y1 * 224 / h)
        ] for x0, y0, x1, y1 in boxes]
        np.testing.assert_array_equal(
            sample.gt_bboxes.floor().numpy(),
            np.array(reference, np.float32).reshape(-1, 4))
        assert 'gt_mask' not in sample


def test_test_pipeline_on_masks(mask_split):
    dataset = DATASETS.build(
        dict(type='WSOLDataset',
             data_root=mask_split['root'],
             metadata_dir='metadata/test',
             img_prefix='images',
             mask_prefix='masks',
             pipeline=TEST_PIPELINE,
             test_mode=True))
    masks = mask_split['masks']

    def resized(mask):
        return cv2.resize(np.float32(mask) * 255, (224, 224),
                          interpolation=cv2.INTER_NEAREST) > 0.5

    fg = resized(masks['a0']) | resized(masks['a1'])
    ignore = resized(masks['a_ignore']) & ~fg
    expected = fg.astype(np.uint8) + 255 * ignore.astype(np.uint8)
    sample = dataset[0]['data_samples']
    assert sample.gt_mask.shape == (224, 224)
    np.testing.assert_array_equal(sample.gt_mask.numpy(), expected)
    assert sample.gt_bboxes.shape == (0, 4)
    sample = dataset[1]['data_samples']
    np.testing.assert_array_equal(sample.gt_mask.numpy(),
                                  resized(masks['b0']).astype(np.uint8))


def test_train_pipeline(mask_split):
    dataset = DATASETS.build(
        dict(type='WSOLDataset',
             data_root=mask_split['root'],
             metadata_dir='metadata/test',
             img_prefix='images',
             mask_prefix='masks',
             pipeline=TRAIN_PIPELINE))
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


@pytest.mark.parametrize('num_workers, collate', [(0, 'pseudo_collate'),
                                                  (2, 'default_collate')])
def test_dataloader_from_runner(box_split, num_workers, collate):
    loader = _loader(box_dataset_cfg(box_split, TRAIN_PIPELINE), num_workers,
                     collate)
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
        box_dataset_cfg(box_split, TEST_PIPELINE, test_mode=True))
    dataset[0]
    with pytest.raises(FileNotFoundError, match='images/cls1/b.png'):
        dataset[1]
