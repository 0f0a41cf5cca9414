"""Saved score map files (mmwsol.evaluation.offline.scoremaps): resizing,
strict checks naming the file, missing and extra maps."""

import os

import cv2
import numpy as np
import pytest
from offline_utils import (
    GT_224,
    IMAGES,
    box_map,
    save_map,
    write_metadata,
)

from mmwsol.evaluation.offline import (
    check_scoremap_files,
    evaluate_scoremaps,
    load_scoremap,
    resize_scoremap,
    scoremap_path,
)


def test_resized_maps(tmp_path):
    meta = write_metadata(str(tmp_path / 'meta'), IMAGES)
    # 448 x 448 maps of the boxes at twice the size: the cubic downscale
    # rings (-0.07 outside, 1.07 on the border) but min-max normalisation
    # keeps the box above every threshold >= 0.07 and nothing else.
    big = tmp_path / 'big'
    x0, y0, x1, y1 = GT_224
    save_map(
        big, 'cls0/a.jpg', box_map(2 * x0, 2 * y0, 2 * x1 + 1, 2 * y1 + 1, 448)
    )
    save_map(
        big, 'cls1/b.jpg', box_map(2 * x0, 2 * y0, 2 * x1 + 1, 2 * y1 + 1, 448)
    )
    res = evaluate_scoremaps(meta, str(big))
    assert res['MaxBoxAccV2'] == 100.0
    # 14 x 14 maps are resized exactly as documented: cv2 INTER_CUBIC then
    # min-max, which equals saving that 224 x 224 map ourselves.
    rng = np.random.default_rng(0)
    small, done = tmp_path / 'small', tmp_path / 'done'
    for image_id, *_ in IMAGES:
        low = rng.random((14, 14))
        save_map(small, image_id, low)
        up = cv2.resize(low, (224, 224), interpolation=cv2.INTER_CUBIC)
        save_map(done, image_id, (up - up.min()) / (up.max() - up.min()))
    assert evaluate_scoremaps(meta, str(small)) == evaluate_scoremaps(
        meta, str(done)
    )


def test_resize_scoremap():
    cam = np.random.default_rng(1).random((224, 224))
    assert resize_scoremap(cam) is cam  # the protocol size: untouched
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    up = resize_scoremap(step, (32, 16))
    assert up.shape == (32, 16)
    assert up.min() == 0.0 and up.max() == 1.0
    clipped = resize_scoremap(step, (32, 16), 'clip')
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    assert not np.array_equal(up, clipped)  # overshoot: rescaled vs clipped
    assert not resize_scoremap(np.full((7, 7), 0.3), (14, 14)).any()
    with pytest.raises(ValueError, match='resize_norm'):
        resize_scoremap(step, (16, 16), 'none')


@pytest.mark.parametrize(
    'array,match',
    [
        (np.zeros((2, 224, 224), np.float32), r'2-D'),
        (np.full((224, 224), np.nan, np.float32), r'NaN'),
        (np.full((224, 224), 1.01, np.float32), r'\[0, 1\]'),
        (np.full((224, 224), -0.5), r'\[0, 1\]'),
        (np.full((224, 224), np.inf), r'\[0, 1\]'),
        (np.array([['a']]), r'numeric'),
        (np.zeros((0, 5)), r'empty'),
    ],
)
def test_bad_map_names_the_file(box_split, array, match):
    meta, maps = box_split
    bad = save_map(maps, 'cls0/a.jpg', array)
    with pytest.raises(ValueError, match=match) as info:
        evaluate_scoremaps(meta, maps)
    assert bad in str(info.value)


def test_unreadable_map(tmp_path):
    path = tmp_path / 'x.npy'
    path.write_bytes(b'not numpy')
    with pytest.raises(ValueError, match='Cannot read'):
        load_scoremap(str(path))
    np.save(path, np.array([{'a': 1}], dtype=object))
    with pytest.raises(ValueError, match=r'x\.npy'):
        load_scoremap(str(path))


def test_integer_and_bool_maps_are_accepted(tmp_path):
    path = tmp_path / 'x.npy'
    np.save(path, np.eye(3, dtype=bool))
    assert load_scoremap(str(path)).dtype == np.float64


def test_missing_and_extra_maps(box_split):
    meta, maps = box_split
    os.remove(scoremap_path(maps, 'cls1/b.jpg'))
    with pytest.raises(FileNotFoundError, match='1 of 2') as info:
        evaluate_scoremaps(meta, maps)
    assert 'cls1/b.jpg.npy' in str(info.value)
    save_map(maps, 'cls1/b.jpg', box_map(*GT_224))
    save_map(maps, 'other/c.jpg', box_map(*GT_224))
    with pytest.warns(UserWarning, match=r'other/c\.jpg\.npy'):
        res = evaluate_scoremaps(meta, maps)
    assert res['MaxBoxAccV2'] == 100.0
    with pytest.raises(FileNotFoundError, match='folder'):
        check_scoremap_files(maps + '_nowhere', ['a'])
