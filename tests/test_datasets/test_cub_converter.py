"""Tests of ``tools/dataset_converters/cub.py`` on a tiny fake CUB tree."""

import importlib.util
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'cub_converter',
    osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'cub.py'),
)
cub = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cub)

CLASSES = ['1 001.Alpha_bird', '2 002.Beta_bird', '3 003.Gamma_bird']
# id: (path, label, is_train, box "x y w h", (width, height))
IMAGES = {
    1: (
        '001.Alpha_bird/Alpha_0001.jpg',
        1,
        1,
        '60.0 27.0 325.0 304.0',
        (400, 340),
    ),
    2: (
        '001.Alpha_bird/Alpha_0002.jpg',
        1,
        0,
        '14.0 112.0 388.0 186.0',
        (410, 300),
    ),
    3: ('001.Alpha_bird/Alpha_0003.jpg', 1, 1, '0.0 0.0 50.0 40.0', (50, 40)),
    4: (
        '001.Alpha_bird/Alpha_0004.jpg',
        1,
        1,
        '10.5 20.7 30.2 15.9',
        (64, 48),
    ),
    5: ('002.Beta_bird/Beta_0001.jpg', 2, 1, '5.0 6.0 7.0 8.0', (20, 30)),
    6: ('002.Beta_bird/Beta_0002.jpg', 2, 1, '1.0 2.0 3.0 4.0', (16, 16)),
    7: ('002.Beta_bird/Beta_0003.jpg', 2, 0, '2.0 2.0 20.0 10.0', (40, 20)),
    8: ('003.Gamma_bird/Gamma_0001.jpg', 3, 0, '0.0 0.0 31.0 23.0', (32, 24)),
    9: ('003.Gamma_bird/Gamma_0002.jpg', 3, 1, '3.0 4.0 5.0 6.0', (24, 24)),
    10: ('003.Gamma_bird/Gamma_0003.jpg', 3, 1, '4.0 4.0 4.0 4.0', (12, 10)),
}


def _write(path, lines, trailing_newline=True):
    text = '\n'.join(lines) + ('\n' if trailing_newline else '')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def cub_root(tmp_path):
    """A fake ``CUB_200_2011`` folder with 10 images of 3 classes."""
    root = tmp_path / 'CUB_200_2011'
    _write(root / 'classes.txt', CLASSES)
    _write(root / 'images.txt', [f'{i} {v[0]}' for i, v in IMAGES.items()])
    # Another line order and no trailing newline: ids, not order, count.
    _write(
        root / 'image_class_labels.txt',
        [f'{i} {v[1]}' for i, v in sorted(IMAGES.items(), reverse=True)],
        trailing_newline=False,
    )
    _write(
        root / 'train_test_split.txt',
        [f'{i} {v[2]}' for i, v in IMAGES.items()] + [''],
    )
    _write(
        root / 'bounding_boxes.txt', [f'{i} {v[3]}' for i, v in IMAGES.items()]
    )
    for path, _, _, _, (width, height) in IMAGES.values():
        image = np.full((height, width, 3), 128, np.uint8)
        (root / 'images' / path).parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(root / 'images' / path), image)
    return root


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


# --------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------
def test_box_conversion_matches_community():
    # Release lines of images 1 and 3 and their wsolevaluation metadata.
    assert cub.cub_box_to_xyxy(60.0, 27.0, 325.0, 304.0) == (60, 27, 385, 331)
    assert cub.cub_box_to_xyxy(14.0, 112.0, 388.0, 186.0) == (
        14,
        112,
        402,
        298,
    )
    # Fractional values: x, y, x + w and y + h are truncated.
    assert cub.cub_box_to_xyxy(10.5, 20.7, 30.2, 15.9) == (10, 20, 40, 36)


def test_carve_val_picks_chunk_middles():
    records = [
        cub.CUBRecord(i, f'a/{i}.jpg', 0, True, (0, 0, 1, 1), i)
        for i in range(1, 11)
    ] + [cub.CUBRecord(11, 'a/11.jpg', 0, False, (0, 0, 1, 1), 11)]
    splits = cub.carve_val(records, 3)
    # n = 10, N = 3: indices 10 // 6 = 1, 30 // 6 = 5, 50 // 6 = 8.
    assert [r.image_id for r in splits['val']] == [2, 6, 9]
    assert [r.image_id for r in splits['train']] == [1, 3, 4, 5, 7, 8, 10]
    assert [r.image_id for r in splits['test']] == [11]
    kept = cub.carve_val(records, 3, keep_in_train=True)
    assert [r.image_id for r in kept['train']] == list(range(1, 11))
    assert cub.carve_val(records, 0)['val'] == []
    with pytest.raises(ValueError, match='class 1 has 10 train images'):
        cub.carve_val(records, 10)


def test_segmentation_to_masks():
    seg = np.array([[0, 51, 127], [128, 204, 255]], np.uint8)
    mask, ignore = cub.segmentation_to_masks(seg)
    np.testing.assert_array_equal(mask, [[0, 0, 0], [255, 255, 255]])
    np.testing.assert_array_equal(ignore, [[0, 255, 255], [0, 0, 0]])
    mask, ignore = cub.segmentation_to_masks(seg, threshold=0)
    np.testing.assert_array_equal(mask, [[0, 255, 255], [255, 255, 255]])
    assert not ignore.any()


# --------------------------------------------------------------------------
# Whole conversion
# --------------------------------------------------------------------------
def test_convert_train_test(cub_root, tmp_path):
    out = tmp_path / 'metadata' / 'CUB'
    counts = cub.convert_cub(str(cub_root), str(out))
    assert counts == {'train': 7, 'test': 3}
    assert not (out / 'val').exists()
    assert _lines(out / 'classes.txt') == [
        '001.Alpha_bird',
        '002.Beta_bird',
        '003.Gamma_bird',
    ]
    assert _lines(out / 'train' / 'image_ids.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg',
        '001.Alpha_bird/Alpha_0003.jpg',
        '001.Alpha_bird/Alpha_0004.jpg',
        '002.Beta_bird/Beta_0001.jpg',
        '002.Beta_bird/Beta_0002.jpg',
        '003.Gamma_bird/Gamma_0002.jpg',
        '003.Gamma_bird/Gamma_0003.jpg',
    ]
    assert _lines(out / 'train' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,0',
        '001.Alpha_bird/Alpha_0003.jpg,0',
        '001.Alpha_bird/Alpha_0004.jpg,0',
        '002.Beta_bird/Beta_0001.jpg,1',
        '002.Beta_bird/Beta_0002.jpg,1',
        '003.Gamma_bird/Gamma_0002.jpg,2',
        '003.Gamma_bird/Gamma_0003.jpg,2',
    ]
    assert _lines(out / 'train' / 'image_sizes.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,400,340',
        '001.Alpha_bird/Alpha_0003.jpg,50,40',
        '001.Alpha_bird/Alpha_0004.jpg,64,48',
        '002.Beta_bird/Beta_0001.jpg,20,30',
        '002.Beta_bird/Beta_0002.jpg,16,16',
        '003.Gamma_bird/Gamma_0002.jpg,24,24',
        '003.Gamma_bird/Gamma_0003.jpg,12,10',
    ]
    assert _lines(out / 'train' / 'localization.txt') == [
        '001.Alpha_bird/Alpha_0001.jpg,60,27,385,331',
        '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40',
        '001.Alpha_bird/Alpha_0004.jpg,10,20,40,36',
        '002.Beta_bird/Beta_0001.jpg,5,6,12,14',
        '002.Beta_bird/Beta_0002.jpg,1,2,4,6',
        '003.Gamma_bird/Gamma_0002.jpg,3,4,8,10',
        '003.Gamma_bird/Gamma_0003.jpg,4,4,8,8',
    ]
    assert _lines(out / 'test' / 'image_ids.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg',
        '002.Beta_bird/Beta_0003.jpg',
        '003.Gamma_bird/Gamma_0001.jpg',
    ]
    assert _lines(out / 'test' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,0',
        '002.Beta_bird/Beta_0003.jpg,1',
        '003.Gamma_bird/Gamma_0001.jpg,2',
    ]
    assert _lines(out / 'test' / 'image_sizes.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,410,300',
        '002.Beta_bird/Beta_0003.jpg,40,20',
        '003.Gamma_bird/Gamma_0001.jpg,32,24',
    ]
    assert _lines(out / 'test' / 'localization.txt') == [
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
    assert _lines(out / 'val' / 'localization.txt') == [
        '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40',
        '002.Beta_bird/Beta_0002.jpg,1,2,4,6',
        '003.Gamma_bird/Gamma_0003.jpg,4,4,8,8',
    ]
    assert _lines(out / 'val' / 'class_labels.txt') == [
        '001.Alpha_bird/Alpha_0003.jpg,0',
        '002.Beta_bird/Beta_0002.jpg,1',
        '003.Gamma_bird/Gamma_0003.jpg,2',
    ]
    assert _lines(out / 'train' / 'image_ids.txt') == [
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
    assert _lines(out / 'test' / 'image_sizes.txt') == []
    assert _lines(out / 'test' / 'localization.txt')[0] == (
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
    assert _lines(out / 'test' / 'localization_mask.txt') == [
        '001.Alpha_bird/Alpha_0002.jpg,001.Alpha_bird/Alpha_0002_mask.png,'
        '001.Alpha_bird/Alpha_0002_ignore.png',
        '002.Beta_bird/Beta_0003.jpg,002.Beta_bird/Beta_0003_mask.png,'
        '002.Beta_bird/Beta_0003_ignore.png',
        '003.Gamma_bird/Gamma_0001.jpg,003.Gamma_bird/Gamma_0001_mask.png,'
        '003.Gamma_bird/Gamma_0001_ignore.png',
    ]
    assert _lines(out / 'val' / 'localization_mask.txt')[0] == (
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
    lines = _lines(cub_root / 'bounding_boxes.txt')
    lines[2] = '3 0.0 0.0 51.0 40.0'  # image 3 is 50 x 40
    _write(cub_root / 'bounding_boxes.txt', lines)
    with pytest.raises(
        cub.CUBFormatError,
        match=r'bounding_boxes.txt, line 3: box \(0, 0, 51, '
        r'40\).*50x40.*--clip-boxes',
    ):
        cub.convert_cub(str(cub_root), str(tmp_path / 'a'))
    cub.convert_cub(str(cub_root), str(tmp_path / 'b'), clip_boxes=True)
    assert '001.Alpha_bird/Alpha_0003.jpg,0,0,50,40' in _lines(
        tmp_path / 'b' / 'train' / 'localization.txt'
    )


# --------------------------------------------------------------------------
# Malformed input: the error names the file and the line
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    'filename,index,replacement,message',
    [
        (
            'images.txt',
            1,
            'x 001.Alpha_bird/Alpha_0002.jpg',
            r"images.txt, line 2: image id 'x' is not an integer",
        ),
        ('images.txt', 3, '4', r'images.txt, line 4: expected an id and 1'),
        (
            'images.txt',
            4,
            '5 002.Beta_bird/Beta,0001.jpg',
            r'images.txt, line 5: image path contains a comma',
        ),
        (
            'bounding_boxes.txt',
            4,
            '5 5.0 6.0 7.0',
            r'bounding_boxes.txt, line 5: expected an id and 4 value',
        ),
        (
            'bounding_boxes.txt',
            5,
            '6 1.0 2.0 -3.0 4.0',
            r'bounding_boxes.txt, line 6: box x, y, w, h must be >= 0',
        ),
        (
            'bounding_boxes.txt',
            6,
            '7 a 2.0 20.0 10.0',
            r'bounding_boxes.txt, line 7: could not convert',
        ),
        (
            'image_class_labels.txt',
            0,
            '10 0',
            r'image_class_labels.txt, line 1: class label 0 < 1',
        ),
        (
            'image_class_labels.txt',
            0,
            '10 4',
            r'image_class_labels.txt, line 1: class label 4 is not in '
            r'.*classes',
        ),
        (
            'train_test_split.txt',
            1,
            '2 2',
            r'train_test_split.txt, line 2: is_training_image must be 0 or 1',
        ),
        (
            'train_test_split.txt',
            2,
            '2 1',
            r'train_test_split.txt, line 3: id 2 already given on line 2',
        ),
        (
            'train_test_split.txt',
            9,
            '11 1',
            r'train_test_split.txt, line 10: id 11 is not in .*images.txt',
        ),
    ],
)
def test_malformed_lines(
    cub_root, tmp_path, filename, index, replacement, message
):
    lines = _lines(cub_root / filename)
    lines[index] = replacement
    _write(cub_root / filename, lines)
    with pytest.raises(cub.CUBFormatError, match=message):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)


def test_missing_id_and_missing_file(cub_root, tmp_path):
    lines = _lines(cub_root / 'bounding_boxes.txt')
    _write(cub_root / 'bounding_boxes.txt', lines[:7] + lines[8:])
    with pytest.raises(
        cub.CUBFormatError,
        match=r'bounding_boxes.txt: no line for id 8 '
        r'\(.*images.txt, line 8\)',
    ):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)
    (cub_root / 'bounding_boxes.txt').unlink()
    with pytest.raises(FileNotFoundError, match='bounding_boxes.txt'):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)


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
