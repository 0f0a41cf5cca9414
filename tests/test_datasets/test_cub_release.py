"""Reading the CUB release and the conversion rules
(tools/dataset_converters/cub_release.py, cub_metadata.py): community box
conversion, val carving, masks, and errors naming the file and line."""

import numpy as np
import pytest
from cub_utils import cub, make_cub_root, read_lines, write_lines


@pytest.fixture
def cub_root(tmp_path):
    return make_cub_root(tmp_path)


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
    lines = read_lines(cub_root / filename)
    lines[index] = replacement
    write_lines(cub_root / filename, lines)
    with pytest.raises(cub.CUBFormatError, match=message):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)


def test_missing_id_and_missing_file(cub_root, tmp_path):
    lines = read_lines(cub_root / 'bounding_boxes.txt')
    write_lines(cub_root / 'bounding_boxes.txt', lines[:7] + lines[8:])
    with pytest.raises(
        cub.CUBFormatError,
        match=r'bounding_boxes.txt: no line for id 8 '
        r'\(.*images.txt, line 8\)',
    ):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)
    (cub_root / 'bounding_boxes.txt').unlink()
    with pytest.raises(FileNotFoundError, match='bounding_boxes.txt'):
        cub.convert_cub(str(cub_root), str(tmp_path / 'out'), read_sizes=False)
