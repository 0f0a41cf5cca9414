"""Tests of ``PackWSOLInputs``."""

import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.structures import DataSample

from mmwsol.datasets.transforms import PackWSOLInputs
from mmwsol.registry import TRANSFORMS


def _results():
    seg = np.zeros((4, 6), np.uint8)
    seg[1:3, 2:5] = 1
    seg[0, 0] = 255
    return dict(
        img=np.zeros((4, 6, 3), np.uint8),
        gt_label=3,
        gt_bboxes=np.array([[2, 1, 4, 2]], dtype=np.float64),
        ori_gt_bboxes=np.array([[20, 10, 40, 20], [0, 0, 1, 1]], np.float32),
        gt_seg_map=seg[:, ::-1],  # a negative-stride view, as after a flip
        img_id='x/y.jpg',
        img_path='/data/x/y.jpg',
        sample_idx=7,
        ori_shape=(40, 60),
        img_shape=(4, 6),
        scale_factor=(0.1, 0.1),
        flip=True,
        flip_direction='horizontal',
        mask_paths=['should/not/be/packed.png'],
    )


def test_pack_wsol_inputs():
    packed = TRANSFORMS.build(dict(type='PackWSOLInputs'))(_results())
    assert packed['inputs'].shape == (3, 4, 6)
    sample = packed['data_samples']
    assert isinstance(sample, DataSample)
    assert sample.gt_label.tolist() == [3]

    assert sample.gt_bboxes.dtype == torch.float32
    assert sample.gt_bboxes.tolist() == [[2, 1, 4, 2]]
    assert sample.ori_gt_bboxes.dtype == torch.float32
    assert sample.ori_gt_bboxes.shape == (2, 4)
    assert sample.gt_mask.dtype == torch.uint8
    expected = _results()['gt_seg_map']
    np.testing.assert_array_equal(sample.gt_mask.numpy(), expected)

    assert sample.img_id == 'x/y.jpg'
    assert sample.ori_shape == (40, 60)
    for key in PackInputs.DEFAULT_META_KEYS:
        assert key in sample.metainfo
    assert 'mask_paths' not in sample


def test_default_and_custom_meta_keys():
    assert set(PackWSOLInputs.DEFAULT_META_KEYS) == set(
        PackInputs.DEFAULT_META_KEYS
    ) | {'img_id'}
    assert 'ori_shape' in PackWSOLInputs.DEFAULT_META_KEYS
    packed = PackWSOLInputs(meta_keys=('img_id',))(_results())
    assert set(packed['data_samples'].metainfo) == {'img_id'}


def test_empty_boxes_and_no_mask():
    results = _results()
    results['gt_bboxes'] = np.zeros((0, 4), np.float32)
    del results['gt_seg_map']
    sample = PackWSOLInputs()(results)['data_samples']
    assert sample.gt_bboxes.shape == (0, 4)
    assert 'gt_mask' not in sample


def test_seg_map_not_following_the_image_is_an_error():
    results = _results()
    results['img'] = np.zeros((8, 12, 3), np.uint8)  # e.g. after ResizeEdge
    with pytest.raises(
        ValueError,
        match=r'/data/x/y.jpg: gt_seg_map has '
        r'shape \(4, 6\) but the image has \(8, 12\)',
    ):
        PackWSOLInputs()(results)


def test_geometry_record_is_packed_whatever_the_meta_keys():
    results = _results()
    results['wsol_geometry'] = dict(
        scale=(0.1, 0.1), offset=(0.0, 0.0), shape=(4, 6)
    )
    sample = PackWSOLInputs(meta_keys=('img_id',))(results)['data_samples']
    assert sample.wsol_geometry == dict(
        scale=(0.1, 0.1), offset=(0.0, 0.0), shape=(4, 6), tracked=True
    )
    assert 'wsol_geometry' not in PackWSOLInputs()(_results())['data_samples']


def test_geometry_record_not_following_the_image_is_untracked():
    """A transform changed the size without updating the record (e.g.
    mmpretrain's RandomResizedCrop in a pipeline without masks)."""
    results = _results()
    del results['gt_seg_map']
    results['img'] = np.zeros((8, 12, 3), np.uint8)
    results['wsol_geometry'] = dict(
        scale=(0.1, 0.1), offset=(0.0, 0.0), shape=(4, 6)
    )
    sample = PackWSOLInputs()(results)['data_samples']
    assert sample.wsol_geometry['tracked'] is False
