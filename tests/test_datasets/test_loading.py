"""Tests of image and annotation loading."""

import warnings

import cv2
import numpy as np
import pytest
from mmcv.transforms import Resize
from wsol_data_utils import rect_mask, write_image, write_mask

from mmwsol.datasets import WSOLDataset
from mmwsol.datasets.transforms import (
    LoadImageFromFile,
    LoadWSOLAnnotations,
    build_seg_map,
    clip_bboxes,
)
from mmwsol.registry import TRANSFORMS


def _load(results, **kwargs):
    results = LoadImageFromFile()(dict(results))
    return LoadWSOLAnnotations(**kwargs)(results)


def test_registered_in_mmwsol_scope():
    assert TRANSFORMS.get('LoadImageFromFile') is LoadImageFromFile
    assert TRANSFORMS.get('LoadWSOLAnnotations') is LoadWSOLAnnotations


def test_missing_image_names_the_path(tmp_path):
    path = str(tmp_path / 'no' / 'img.jpg')
    with pytest.raises(FileNotFoundError, match='no/img.jpg'):
        LoadImageFromFile()(dict(img_path=path))


@pytest.mark.parametrize('content', [b'', b'not an image at all'])
def test_unreadable_image_names_the_path(tmp_path, content):
    path = str(tmp_path / 'broken.jpg')
    with open(path, 'wb') as f:
        f.write(content)
    with pytest.raises(ValueError, match='Failed to load image .*broken.jpg'):
        LoadImageFromFile()(dict(img_path=path))


def test_load_image_keeps_mmcv_results(tmp_path):
    path = write_image(str(tmp_path / 'x.png'), 7, 5)
    results = LoadImageFromFile()(dict(img_path=path))
    assert results['img'].shape == (5, 7, 3)
    assert results['ori_shape'] == (5, 7)
    assert results['img_shape'] == (5, 7)


def test_clip_bboxes():
    boxes = np.array([[-3, 2, 12, 9], [1, 1, 4, 4]], dtype=np.float32)
    clipped, changed = clip_bboxes(boxes, width=10, height=8)
    np.testing.assert_array_equal(clipped, [[0, 2, 9, 7], [1, 1, 4, 4]])
    assert changed
    _, changed = clip_bboxes(boxes[1:], 10, 8)
    assert not changed
    clipped, changed = clip_bboxes(np.zeros((0, 4)), 10, 8)
    assert clipped.shape == (0, 4) and not changed
    # the community convention x1 = x + w may reach the image edge
    edge = np.array([[0, 0, 10, 8]], dtype=np.float32)
    clipped, changed = clip_bboxes(edge, 10, 8, allow_edge=True)
    assert not changed and clipped.tolist() == [[0, 0, 10, 8]]
    clipped, changed = clip_bboxes(boxes, 10, 8, allow_edge=True)
    np.testing.assert_array_equal(clipped, [[0, 2, 10, 8], [1, 1, 4, 4]])
    assert changed
    assert clip_bboxes(edge, 10, 8)[0].tolist() == [[0, 0, 9, 7]]


def test_box_inside_image_is_kept_and_copied(tmp_path):
    path = write_image(str(tmp_path / 'a.png'), 40, 30)
    boxes = np.array([[0, 0, 39, 29], [5, 4, 20, 25]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no warning for boxes inside
        results = _load(
            dict(img_path=path, gt_bboxes=boxes.copy(), img_size=(40, 30))
        )
    np.testing.assert_array_equal(results['gt_bboxes'], boxes)
    np.testing.assert_array_equal(results['ori_gt_bboxes'], boxes)
    assert results['ori_gt_bboxes'] is not results['gt_bboxes']
    assert 'gt_seg_map' not in results
    # the geometry record starts as the identity at the original size
    assert results['wsol_geometry'] == dict(
        scale=(1.0, 1.0), offset=(0.0, 0.0), shape=(30, 40)
    )


def test_box_outside_image_is_clipped_with_a_warning(tmp_path):
    path = write_image(str(tmp_path / 'bird.png'), 40, 30)
    boxes = np.array([[-2, 3, 40, 29], [5, 4, 20, 35]], dtype=np.float32)
    with pytest.warns(UserWarning, match=r'bird.png: box\(es\) outside'):
        results = _load(dict(img_path=path, gt_bboxes=boxes))
    # x1 = 40 = w is the community edge convention: no clip for the metric
    np.testing.assert_array_equal(
        results['ori_gt_bboxes'], [[0, 3, 40, 29], [5, 4, 20, 30]]
    )
    np.testing.assert_array_equal(
        results['gt_bboxes'], [[0, 3, 39, 29], [5, 4, 20, 29]]
    )


def test_box_on_the_right_edge_is_kept_silently(tmp_path):
    path = write_image(str(tmp_path / 'edge.png'), 40, 30)
    boxes = np.array([[3, 3, 40, 30]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        results = _load(dict(img_path=path, gt_bboxes=boxes.copy()))
    np.testing.assert_array_equal(results['ori_gt_bboxes'], boxes)
    np.testing.assert_array_equal(results['gt_bboxes'], [[3, 3, 39, 29]])


def test_image_size_mismatch_names_the_image(tmp_path):
    path = write_image(str(tmp_path / 'odd.png'), 40, 30)
    with pytest.raises(
        ValueError,
        match=r'odd.png has size \(w=40, h=30\), but image_sizes.txt '
        r'says \(w=30, h=40\)',
    ):
        _load(dict(img_path=path, img_size=(30, 40)))
    # The check can be switched off.
    _load(dict(img_path=path, img_size=(30, 40)), check_size=False)


def test_build_seg_map_hand_computed():
    m0 = np.array([[0, 255, 0], [0, 0, 0]], dtype=np.uint8)
    m1 = np.array([[0, 0, 0], [0, 7, 0]], dtype=np.uint8)
    ignore = np.array([[255, 255, 0], [255, 255, 0]], dtype=np.uint8)
    seg = build_seg_map([m0, m1], ignore)
    assert seg.dtype == np.uint8
    np.testing.assert_array_equal(seg, [[255, 1, 0], [255, 1, 0]])
    np.testing.assert_array_equal(
        build_seg_map([m0, m1]), [[0, 1, 0], [0, 1, 0]]
    )


def test_masks_to_seg_map(mask_split):
    dataset = WSOLDataset(
        data_root=mask_split['root'],
        metadata_dir='metadata/test',
        img_prefix='images',
        mask_prefix='masks',
    )
    masks = mask_split['masks']
    results = _load(dataset.get_data_info(0))
    fg = masks['a0'] | masks['a1']
    expected = np.where(fg, 1, np.where(masks['a_ignore'], 255, 0))
    assert results['gt_seg_map'].dtype == np.uint8
    assert results['gt_seg_map'].shape == (29, 37)
    np.testing.assert_array_equal(results['gt_seg_map'], expected)
    assert results['ori_gt_bboxes'].shape == (0, 4)

    results = _load(dataset.get_data_info(1))
    np.testing.assert_array_equal(
        results['gt_seg_map'], masks['b0'].astype(np.uint8)
    )
    # with_mask=False leaves the masks alone.
    results = _load(dataset.get_data_info(1), with_mask=False)
    assert 'gt_seg_map' not in results


def test_mask_of_the_wrong_size(tmp_path):
    img = write_image(str(tmp_path / 'a.png'), 20, 10)
    mask = write_mask(
        str(tmp_path / 'a_mask.png'), rect_mask(10, 20, (1, 1, 3, 3))
    )
    with pytest.raises(
        ValueError,
        match=r'a_mask.png has size \(w=10, h=20\), but its image has '
        r'size \(w=20, h=10\)',
    ):
        _load(dict(img_path=img, mask_paths=[mask], ignore_path=None))


def test_ignore_mask_of_the_wrong_size(tmp_path):
    img = write_image(str(tmp_path / 'a.png'), 20, 10)
    mask = write_mask(str(tmp_path / 'm.png'), rect_mask(20, 10, (1, 1, 3, 3)))
    ignore = write_mask(str(tmp_path / 'ign.png'), np.ones((10, 21), bool))
    with pytest.raises(ValueError, match=r'ign.png has size \(w=21, h=10\)'):
        _load(dict(img_path=img, mask_paths=[mask], ignore_path=ignore))


def test_missing_or_unreadable_mask_names_the_path(tmp_path):
    img = write_image(str(tmp_path / 'a.png'), 20, 10)
    with pytest.raises(FileNotFoundError, match='gone.png'):
        _load(dict(img_path=img, mask_paths=[str(tmp_path / 'gone.png')]))
    broken = str(tmp_path / 'broken.png')
    with open(broken, 'wb') as f:
        f.write(b'\x89PNG garbage')
    with pytest.raises(ValueError, match='Failed to decode mask .*broken.png'):
        _load(dict(img_path=img, mask_paths=[broken]))


def _reference_mask(mask_paths, ignore_path, size=224):
    """The community evaluator's 224x224 mask (written from its protocol)."""

    def load(path):
        mask = np.float32(cv2.imread(path, cv2.IMREAD_GRAYSCALE))
        return (
            cv2.resize(mask, (size, size), interpolation=cv2.INTER_NEAREST)
            > 0.5
        )

    fg = np.stack([load(p) for p in mask_paths]).any(0)
    ignore = load(ignore_path) & ~fg
    return fg.astype(np.uint8) + 255 * ignore.astype(np.uint8)


@pytest.mark.parametrize(
    'width, height', [(37, 29), (300, 211), (224, 224), (500, 375), (97, 640)]
)
def test_resized_seg_map_equals_reference(tmp_path, width, height):
    """After ``Resize(224, 224)`` the seg map is the reference eval mask."""
    rng = np.random.RandomState(width * height)
    img = write_image(str(tmp_path / 'img.png'), width, height)
    paths = []
    for i in range(3):
        # Blobs and noise, with grey levels (the reference thresholds > 0.5).
        mask = (rng.rand(height, width) > 0.6) * rng.randint(1, 256)
        mask[: height // 3, : width // 2] = 255 * (i == 0)
        paths.append(write_mask(str(tmp_path / f'm{i}.png'), mask))
    ignore = np.zeros((height, width), np.uint8)
    ignore[height // 4 :, width // 5 :] = 255
    ignore_path = write_mask(str(tmp_path / 'ignore.png'), ignore)

    results = _load(
        dict(img_path=img, mask_paths=paths, ignore_path=ignore_path)
    )
    results = Resize(scale=(224, 224), keep_ratio=False)(results)
    expected = _reference_mask(paths, ignore_path)
    assert results['gt_seg_map'].shape == (224, 224)
    np.testing.assert_array_equal(results['gt_seg_map'], expected)
    assert set(np.unique(expected)) == {0, 1, 255}


def test_needs_ori_shape():
    with pytest.raises(KeyError, match='after LoadImageFromFile'):
        LoadWSOLAnnotations()(dict(gt_bboxes=np.zeros((0, 4))))


def test_repr():
    assert 'with_mask=True' in repr(LoadWSOLAnnotations())
