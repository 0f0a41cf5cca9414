"""Tests of ``WSOLDataset``."""

import os
import os.path as osp
import pickle

import numpy as np
import pytest
from wsol_data_utils import (
    BOX_SAMPLES,
    box_dataset_cfg,
    make_box_split,
    write_text,
)

from mmwsol.datasets import WSOLDataset
from mmwsol.registry import DATASETS


def test_data_infos_of_a_box_split(box_split):
    dataset = DATASETS.build(box_dataset_cfg(box_split))
    assert isinstance(dataset, WSOLDataset)
    assert len(dataset) == 3
    root = box_split['root']

    info = dataset.get_data_info(0)
    assert info['img_path'] == osp.join(root, 'images', 'cls0/a.png')
    assert info['img_id'] == 'cls0/a.png'
    assert info['gt_label'] == 0
    assert info['gt_bboxes'].dtype == np.float32
    np.testing.assert_array_equal(info['gt_bboxes'], [[5, 4, 20, 25]])
    assert info['mask_paths'] == []
    assert info['ignore_path'] is None
    assert info['img_size'] == (40, 30)
    assert info['sample_idx'] == 0

    info = dataset.get_data_info(1)
    np.testing.assert_array_equal(
        info['gt_bboxes'], [[0, 0, 49, 35], [10, 12, 30, 20]]
    )
    info = dataset.get_data_info(2)
    assert info['gt_bboxes'].shape == (0, 4)
    assert info['gt_bboxes'].dtype == np.float32
    assert info['sample_idx'] == 2

    np.testing.assert_array_equal(dataset.get_gt_labels(), [0, 1, 1])
    assert dataset.get_cat_ids(1) == [1]
    # No names given: one per label up to the largest.
    assert dataset.metainfo['classes'] == ('class_0', 'class_1')


def test_metadata_without_trailing_newline_and_without_sizes(tmp_path):
    split = make_box_split(
        str(tmp_path), with_sizes=False, newline_at_end=False
    )
    dataset = WSOLDataset(**_kwargs(box_dataset_cfg(split)))
    assert len(dataset) == 3
    assert [dataset.get_data_info(i)['img_size'] for i in range(3)] == [
        None,
        None,
        None,
    ]
    os.remove(osp.join(split['meta'], 'image_sizes.txt'))  # optional file
    assert len(WSOLDataset(**_kwargs(box_dataset_cfg(split)))) == 3


def _kwargs(cfg):
    cfg = dict(cfg)
    cfg.pop('type')
    return cfg


def test_classes_and_num_classes(box_split):
    cfg = _kwargs(box_dataset_cfg(box_split))
    dataset = WSOLDataset(num_classes=4, **cfg)
    assert dataset.metainfo['classes'] == (
        'class_0',
        'class_1',
        'class_2',
        'class_3',
    )
    names = ('cat', 'dog', 'bird')
    dataset = WSOLDataset(metainfo=dict(classes=names), **cfg)
    assert dataset.CLASSES == names
    assert dataset.num_classes == 3
    with pytest.raises(
        ValueError, match='2 class names given in metainfo, but num_classes=3'
    ):
        WSOLDataset(metainfo=dict(classes=('a', 'b')), num_classes=3, **cfg)


def test_label_beyond_num_classes_names_file_and_line(box_split):
    cfg = _kwargs(box_dataset_cfg(box_split))
    with pytest.raises(
        ValueError,
        match=r'class_labels.txt, line 2: class label 1 out of range for '
        r'num_classes=1',
    ):
        WSOLDataset(num_classes=1, **cfg)
    # The class names of the metainfo bound the labels too.
    with pytest.raises(ValueError, match='class_labels.txt, line 2'):
        WSOLDataset(metainfo=dict(classes=('only',)), **cfg)


def test_absolute_metadata_dir_and_paths(box_split, tmp_path):
    cfg = _kwargs(box_dataset_cfg(box_split))
    cfg.update(
        data_root=str(tmp_path / 'elsewhere'),
        metadata_dir=box_split['meta'],
        img_prefix=box_split['images'],
    )
    dataset = WSOLDataset(**cfg)
    assert dataset.get_data_info(0)['img_path'] == osp.join(
        box_split['images'], 'cls0/a.png'
    )


def test_lazy_init_indices_and_serialization(box_split):
    cfg = _kwargs(box_dataset_cfg(box_split))
    dataset = WSOLDataset(lazy_init=True, num_classes=2, **cfg)
    assert not dataset._fully_initialized
    assert dataset.metainfo['classes'] == ('class_0', 'class_1')
    assert not dataset._fully_initialized  # classes known without loading
    assert len(dataset) == 3

    subset = WSOLDataset(indices=[2, 0], **cfg)
    assert [subset.get_data_info(i)['img_id'] for i in range(2)] == [
        'cls1/c.png',
        'cls0/a.png',
    ]
    subset = WSOLDataset(indices=1, serialize_data=False, **cfg)
    assert len(subset) == 1

    lazy = WSOLDataset(lazy_init=True, **cfg)
    # Classes are made from the labels: reading them loads the metadata.
    assert lazy.metainfo['classes'] == ('class_0', 'class_1')
    assert lazy._fully_initialized

    # Serialized data infos survive a pickle round trip (dataloader workers).
    clone = pickle.loads(pickle.dumps(dataset))
    np.testing.assert_array_equal(
        clone.get_data_info(1)['gt_bboxes'],
        dataset.get_data_info(1)['gt_bboxes'],
    )


def test_mask_split(mask_split):
    root = mask_split['root']
    dataset = WSOLDataset(
        data_root=root,
        metadata_dir='metadata/test',
        img_prefix='images',
        mask_prefix='masks',
    )
    info = dataset.get_data_info(0)
    assert info['gt_label'] == 2
    assert info['gt_bboxes'].shape == (0, 4)
    assert info['mask_paths'] == [
        osp.join(root, 'masks', 'a0.png'),
        osp.join(root, 'masks', 'a1.png'),
    ]
    assert info['ignore_path'] == osp.join(root, 'masks', 'a_ignore.png')
    info = dataset.get_data_info(1)
    assert info['mask_paths'] == [osp.join(root, 'masks', 'b0.png')]
    assert info['ignore_path'] is None
    assert dataset.metainfo['classes'] == ('class_0', 'class_1', 'class_2')


def test_boxes_plus_mask_file(box_split):
    write_text(
        osp.join(box_split['meta'], 'masks.txt'),
        ['cls1/b.png,b_fg.png,b_ignore.png', 'cls1/b.png,b_fg2.png,'],
    )
    dataset = WSOLDataset(
        mask_file='masks.txt',
        mask_prefix='seg',
        **_kwargs(box_dataset_cfg(box_split)),
    )
    info = dataset.get_data_info(1)
    assert info['gt_bboxes'].shape == (2, 4)
    root = box_split['root']
    assert info['mask_paths'] == [
        osp.join(root, 'seg', 'b_fg.png'),
        osp.join(root, 'seg', 'b_fg2.png'),
    ]
    assert info['ignore_path'] == osp.join(root, 'seg', 'b_ignore.png')
    assert dataset.get_data_info(0)['mask_paths'] == []

    with pytest.raises(ValueError, match='mask_file needs mask lines'):
        WSOLDataset(
            mask_file='localization.txt', **_kwargs(box_dataset_cfg(box_split))
        )
    with pytest.raises(FileNotFoundError, match='nothere.txt'):
        WSOLDataset(
            mask_file='nothere.txt', **_kwargs(box_dataset_cfg(box_split))
        )


def test_optional_and_required_localization(box_split):
    cfg = _kwargs(box_dataset_cfg(box_split))
    dataset = WSOLDataset(localization_file=None, **cfg)
    assert dataset.get_data_info(0)['gt_bboxes'].shape == (0, 4)
    dataset = WSOLDataset(localization_file='absent.txt', **cfg)
    assert dataset.get_data_info(1)['gt_bboxes'].shape == (0, 4)

    with pytest.raises(
        FileNotFoundError, match=r'metadata/test/absent.txt \(require_'
    ):
        WSOLDataset(
            localization_file='absent.txt', require_localization=True, **cfg
        )
    # cls1/c.png has no box.
    with pytest.raises(ValueError, match=r"Image 'cls1/c.png' has no box"):
        WSOLDataset(require_localization=True, **cfg)
    write_text(osp.join(box_split['meta'], 'empty.txt'), [])
    with pytest.raises(ValueError, match='has no entries'):
        WSOLDataset(
            localization_file='empty.txt', require_localization=True, **cfg
        )


@pytest.mark.parametrize('name', ['image_ids.txt', 'class_labels.txt'])
def test_missing_metadata_file_names_the_path(box_split, name):
    os.remove(osp.join(box_split['meta'], name))
    with pytest.raises(FileNotFoundError, match='metadata/test/' + name):
        WSOLDataset(**_kwargs(box_dataset_cfg(box_split)))


def test_missing_metadata_file_with_lazy_init_fails_on_first_use(box_split):
    os.remove(osp.join(box_split['meta'], 'image_ids.txt'))
    dataset = WSOLDataset(
        lazy_init=True, num_classes=2, **_kwargs(box_dataset_cfg(box_split))
    )
    with pytest.raises(FileNotFoundError, match='image_ids.txt'):
        len(dataset)


def test_unknown_image_id_in_class_labels(box_split):
    path = osp.join(box_split['meta'], 'class_labels.txt')
    lines = [f'{s[0]},{s[3]}' for s in BOX_SAMPLES] + ['cls9/zz.png,0']
    write_text(path, lines)
    with pytest.raises(
        ValueError,
        match=r"class_labels.txt, line 4: unknown image id 'cls9/zz.png'",
    ):
        WSOLDataset(**_kwargs(box_dataset_cfg(box_split)))


def test_unknown_image_id_in_localization(box_split):
    path = osp.join(box_split['meta'], 'localization.txt')
    with open(path, 'a') as f:
        f.write('nope.png,1,1,2,2\n')
    with pytest.raises(
        ValueError,
        match=r"localization.txt, line 4: unknown image id 'nope.png'",
    ):
        WSOLDataset(**_kwargs(box_dataset_cfg(box_split)))


def test_duplicate_image_id(box_split):
    path = osp.join(box_split['meta'], 'image_ids.txt')
    write_text(path, [s[0] for s in BOX_SAMPLES] + ['cls0/a.png'])
    with pytest.raises(
        ValueError,
        match=r"image_ids.txt, line 4: duplicate image id 'cls0/a.png'",
    ):
        WSOLDataset(**_kwargs(box_dataset_cfg(box_split)))


def test_malformed_line_names_file_and_line(box_split):
    path = osp.join(box_split['meta'], 'localization.txt')
    write_text(path, ['cls0/a.png,5,4,20,25', 'cls1/b.png,0,0,49'])
    with pytest.raises(ValueError, match=r'localization.txt, line 2: '):
        WSOLDataset(**_kwargs(box_dataset_cfg(box_split)))


def test_repr(box_split):
    text = repr(WSOLDataset(**_kwargs(box_dataset_cfg(box_split))))
    assert 'Number of samples: \t3' in text
    assert 'localization.txt' in text


def test_empty_train_split_is_a_clear_error(tmp_path):
    """Not MMEngine's 'need at least one array to concatenate'."""
    split = make_box_split(str(tmp_path), split='train')
    for name in (
        'image_ids.txt',
        'class_labels.txt',
        'image_sizes.txt',
        'localization.txt',
    ):
        write_text(osp.join(split['meta'], name), [], True)
    cfg = box_dataset_cfg(split, metadata_dir='metadata/train')
    path = osp.join(split['meta'], 'image_ids.txt')
    with pytest.raises(ValueError) as info:
        DATASETS.build(cfg)
    assert str(info.value).startswith(path)
    assert "the split 'train' is empty" in str(info.value)
