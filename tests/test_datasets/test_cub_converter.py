"""tools/dataset_converters/cub.py: whole conversions on a tiny fake CUB
tree and the command line."""

import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from cub_utils import IMAGES, cub, make_cub_root, read_lines, write_lines


@pytest.fixture
def cub_root(tmp_path):
    return make_cub_root(tmp_path)


def test_convert_train_test(cub_root, tmp_path):
    out = tmp_path / 'metadata' / 'CUB'
    counts = cub.convert_cub(str(cub_root), str(out))
    assert counts == {'train': 7, 'test': 3}
    assert not (out / 'val').exists()
    assert read_lines(out / 'classes.txt') == [
        '001.Alpha_bird',
        '002.Beta_bird',
        '003.Gamma_bird',
    ]
    assert read_lines(out / 'train' / 'image_ids.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg',
        '001.Alpha_bird/Alpha_0003.jpg',
        '001.Alpha_bird/Alpha_0004.jpg',
        '002.Beta_bird/Beta_0001.jpg',
        '002.Beta_bird/Beta_0002.jpg',
        '003.Gamma_bird/Gamma_0002.jpg',
        '003.Gamma_bird/Gamma_0003.jpg',
    ]
    assert read_lines(out / 'train' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,0',
        '001.Alpha_bird/Alpha_0003.jpg,0',
        '001.Alpha_bird/Alpha_0004.jpg,0',
        '002.Beta_bird/Beta_0001.jpg,1',
        '002.Beta_bird/Beta_0002.jpg,1',
        '003.Gamma_bird/Gamma_0002.jpg,2',
        '003.Gamma_bird/Gamma_0003.jpg,2',
    ]
    assert read_lines(out / 'train' / 'image_sizes.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,400,340',
        '001.Alpha_bird/Alpha_0003.jpg,50,40',
        '001.Alpha_bird/Alpha_0004.jpg,64,48',
        '002.Beta_bird/Beta_0001.jpg,20,30',
        '002.Beta_bird/Beta_0002.jpg,16,16',
        '003.Gamma_bird/Gamma_0002.jpg,24,24',
        '003.Gamma_bird/Gamma_0003.jpg,12,10',
    ]
    assert read_lines(out / 'train' / 'localization.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,60,27,385,331',
        '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40',
        '001.Alpha_bird/Alpha_0004.jpg,10,20,40,36',
        '002.Beta_bird/Beta_0001.jpg,5,6,12,14',
        '002.Beta_bird/Beta_0002.jpg,1,2,4,6',
        '003.Gamma_bird/Gamma_0002.jpg,3,4,8,10',
        '003.Gamma_bird/Gamma_0003.jpg,4,4,8,8',
    ]
    assert read_lines(out / 'test' / 'image_ids.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg',
        '002.Beta_bird/Beta_0003.jpg',
        '003.Gamma_bird/Gamma_0001.jpg',
    ]
    assert read_lines(out / 'test' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,0',
        '002.Beta_bird/Beta_0003.jpg,1',
        '003.Gamma_bird/Gamma_0001.jpg,2',
    ]
    assert read_lines(out / 'test' / 'image_sizes.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,410,300',
        '002.Beta_bird/Beta_0003.jpg,40,20',
        '003.Gamma_bird/Gamma_0001.jpg,32,24',
    ]
    assert read_lines(out / 'test' / 'localization.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,14,112,402,298',
        '002.Beta_bird/Beta_0003.jpg,2,2,22,12',
        '003.Gamma_bird/Gamma_0001.jpg,0,0,31,23',
    ]
    assert not (out / 'test' / 'localization_mask.txt').exists()
    # Every file ends with a newline.
    with open(out / 'test' / 'localization.txt') as f:
        assert f.read().endswith('.jpg,0,0,31,23\n')


def test_convert_with_val(cub_root, tmp_path):
    out = tmp_path / 'meta'
    counts = cub.convert_cub(str(cub_root), str(out), val_per_class=1)
    assert counts == {'train': 4, 'val': 3, 'test': 3}
    # Class 1 train ids [1, 3, 4] -> index 3 // 2 = 1 (id 3); class 2
    # [5, 6] -> id 6; class 3 [9, 10] -> id 10.
    assert read_lines(out / 'val' / 'localization.txt') == [
        '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40',
        '002.Beta_bird/Beta_0002.jpg,1,2,4,6',
        '003.Gamma_bird/Gamma_0003.jpg,4,4,8,8',
    ]
    assert read_lines(out / 'val' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0003.jpg,0',
        '002.Beta_bird/Beta_0002.jpg,1',
        '003.Gamma_bird/Gamma_0003.jpg,2',
    ]
    assert read_lines(out / 'train' / 'image_ids.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg',
        '001.Alpha_bird/Alpha_0004.jpg',
        '002.Beta_bird/Beta_0001.jpg',
        '003.Gamma_bird/Gamma_0002.jpg',
    ]
    kept = cub.convert_cub(
        str(cub_root),
        str(tmp_path / 'kept'),
        val_per_class=1,
        keep_val_in_train=True,
    )
    assert kept == {'train': 7, 'val': 3, 'test': 3}
    with pytest.raises(ValueError, match='class 2 has 2 train images'):
        cub.convert_cub(str(cub_root), str(tmp_path / 'x'), val_per_class=2)


def test_convert_without_images(cub_root, tmp_path):
    shutil.rmtree(cub_root / 'images')
    out = tmp_path / 'nosizes'
    with pytest.raises(FileNotFoundError, match='--no-sizes'):
        cub.convert_cub(str(cub_root), str(out))
    cub.convert_cub(str(cub_root), str(out), read_sizes=False)
    assert read_lines(out / 'test' / 'image_sizes.txt') == []
    assert read_lines(out / 'test' / 'localization.txt')[0] == (
        '001.Alpha_bird/Alpha_0002.jpg,14,112,402,298'
    )


def _segmentation(width, height):
    """Hand-made grey levels: 255 core, 102 soft rim, 0 elsewhere."""
    seg = np.zeros((height, width), np.uint8)
    seg[2:6, 2:8] = 102
    seg[3:5, 3:7] = 255
    return seg


def test_convert_with_segmentations(cub_root, tmp_path):
    seg_root = tmp_path / 'segmentations'
    for path, _, _, _, (width, height) in IMAGES.values():
        target = seg_root / (osp.splitext(path)[0] + '.png')
        target.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(target), _segmentation(width, height))
    out = tmp_path / 'meta'
    cub.convert_cub(
        str(cub_root), str(out), segmentations=str(seg_root), val_per_class=1
    )
    assert read_lines(out / 'test' / 'localization_mask.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,001.Alpha_bird/Alpha_0002_mask.png,'
        '001.Alpha_bird/Alpha_0002_ignore.png',
        '002.Beta_bird/Beta_0003.jpg,002.Beta_bird/Beta_0003_mask.png,'
        '002.Beta_bird/Beta_0003_ignore.png',
        '003.Gamma_bird/Gamma_0001.jpg,003.Gamma_bird/Gamma_0001_mask.png,'
        '003.Gamma_bird/Gamma_0001_ignore.png',
    ]
    assert read_lines(out / 'val' / 'localization_mask.txt')[0] == (
        '001.Alpha_bird/Alpha_0003.jpg,001.Alpha_bird/Alpha_0003_mask.png,'
        '001.Alpha_bird/Alpha_0003_ignore.png'
    )
    assert not (out / 'train' / 'localization_mask.txt').exists()
    mask = cv2.imread(
        str(out / 'masks' / '002.Beta_bird' / 'Beta_0003_mask.png'),
        cv2.IMREAD_GRAYSCALE,
    )
    ignore = cv2.imread(
        str(out / 'masks' / '002.Beta_bird' / 'Beta_0003_ignore.png'),
        cv2.IMREAD_GRAYSCALE,
    )
    assert mask.shape == ignore.shape == (20, 40)
    expected_mask = np.zeros((20, 40), np.uint8)
    expected_mask[3:5, 3:7] = 255
    expected_ignore = np.zeros((20, 40), np.uint8)
    expected_ignore[2:6, 2:8] = 255
    expected_ignore[3:5, 3:7] = 0
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_array_equal(ignore, expected_ignore)
    # Masks elsewhere, and a size mismatch names the segmentation file.
    cub.convert_cub(
        str(cub_root),
        str(tmp_path / 'm2'),
        segmentations=str(seg_root),
        mask_out=str(tmp_path / 'masks2'),
    )
    assert (
        tmp_path / 'masks2' / '002.Beta_bird' / 'Beta_0003_mask.png'
    ).is_file()
    cv2.imwrite(
        str(seg_root / '002.Beta_bird' / 'Beta_0003.png'),
        np.zeros((5, 5), np.uint8),
    )
    with pytest.raises(cub.CUBFormatError, match='Beta_0003.png is 5x5'):
        cub.convert_cub(
            str(cub_root), str(tmp_path / 'm3'), segmentations=str(seg_root)
        )
    (seg_root / '002.Beta_bird' / 'Beta_0003.png').unlink()
    with pytest.raises(FileNotFoundError, match='Beta_0003.png'):
        cub.convert_cub(
            str(cub_root), str(tmp_path / 'm4'), segmentations=str(seg_root)
        )


def test_box_outside_image(cub_root, tmp_path):
    lines = read_lines(cub_root / 'bounding_boxes.txt')
    lines[2] = '3 0.0 0.0 51.0 40.0'  # image 3 is 50 x 40
    write_lines(cub_root / 'bounding_boxes.txt', lines)
    with pytest.raises(
        cub.CUBFormatError,
        match=r'bounding_boxes.txt, line 3: box \(0, 0, 51, '
        r'40\).*50x40.*--clip-boxes',
    ):
        cub.convert_cub(str(cub_root), str(tmp_path / 'a'))
    cub.convert_cub(str(cub_root), str(tmp_path / 'b'), clip_boxes=True)
    assert '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40' in read_lines(
        tmp_path / 'b' / 'train' / 'localization.txt'
    )


def test_unreadable_image(cub_root, tmp_path):
    (cub_root / 'images' / '002.Beta_bird' / 'Beta_0001.jpg').write_bytes(
        b'not an image'
    )
    with pytest.raises(OSError, match='Beta_0001.jpg'):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'))


def test_main(cub_root, tmp_path, capsys):
    out = tmp_path / 'cli'
    assert (
        cub.main(
            [
                '--cub-root',
                str(cub_root),
                '--out',
                str(out),
                '--val-per-class',
                '1',
            ]
        )
        == 0
    )
    assert 'train 4, val 3, test 3' in capsys.readouterr().out
    assert (out / 'val' / 'image_ids.txt').is_file()
    assert (
        cub.main(['--cub-root', str(tmp_path / 'nowhere'), '--out', str(out)])
        == 1
    )
    assert 'images.txt not found' in capsys.readouterr().err
