"""Tests of the pure metadata parsers."""

import os
import os.path as osp

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wsol_data_utils import write_text

from mmwsol.datasets.metadata import (
    detect_localization_format,
    parse_boxes,
    parse_class_labels,
    parse_image_ids,
    parse_image_sizes,
    parse_localization,
    parse_masks,
    read_lines,
)

IDS = ['a/1.jpg', 'a/2.jpg', 'b/3.jpg']


def _file(tmp_path, name, lines, newline_at_end=True):
    return write_text(osp.join(str(tmp_path), name), lines, newline_at_end)


def test_read_lines_skips_blank_lines_and_handles_missing_newline(tmp_path):
    path = osp.join(str(tmp_path), 'f.txt')
    with open(path, 'w') as f:
        f.write('x\n\n  \r\ny,1\r\nz')  # blank lines, CRLF, no final newline
    assert read_lines(path) == [(1, 'x'), (4, 'y,1'), (5, 'z')]


def test_missing_file_names_the_path(tmp_path):
    path = osp.join(str(tmp_path), 'nope', 'image_ids.txt')
    with pytest.raises(FileNotFoundError, match='nope/image_ids.txt'):
        parse_image_ids(path)


def test_parse_image_ids(tmp_path):
    path = _file(tmp_path, 'image_ids.txt', IDS, newline_at_end=False)
    assert parse_image_ids(path) == IDS


def test_duplicate_image_id_names_both_lines(tmp_path):
    path = _file(tmp_path, 'image_ids.txt', ['a.jpg', 'b.jpg', '', 'a.jpg'])
    with pytest.raises(
        ValueError,
        match=r'image_ids.txt, line 4: duplicate '
        r"image id 'a.jpg' \(first on line 1\)",
    ):
        parse_image_ids(path)


def test_parse_class_labels(tmp_path):
    path = _file(
        tmp_path, 'class_labels.txt', ['a/1.jpg,0', 'b/3.jpg,7', 'a/2.jpg,3']
    )
    assert parse_class_labels(path, IDS) == {
        'a/1.jpg': 0,
        'a/2.jpg': 3,
        'b/3.jpg': 7,
    }


@pytest.mark.parametrize(
    'lines, message',
    [
        (['a/1.jpg,0', 'a/2.jpg'], r'line 2: expected 2 comma separated'),
        (
            ['a/1.jpg,0', 'a/2.jpg,x', 'b/3.jpg,1'],
            r"line 2: class label must be an integer, got 'x'",
        ),
        (['a/1.jpg,0', 'a/2.jpg,1.5'], r'line 2: class label must be an int'),
        (['a/1.jpg,-1'], r'line 1: class label must be >= 0'),
        (['a/1.jpg,0', 'zzz.jpg,1'], r"line 2: unknown image id 'zzz.jpg'"),
        (['a/1.jpg,0', 'a/1.jpg,1'], r'line 2: duplicate label'),
        ([',1'], r'line 1: empty image id'),
    ],
)
def test_class_labels_errors_name_file_and_line(tmp_path, lines, message):
    path = _file(tmp_path, 'class_labels.txt', lines)
    with pytest.raises(ValueError, match='class_labels.txt, ' + message):
        parse_class_labels(path, IDS)


def test_label_out_of_range_of_num_classes(tmp_path):
    path = _file(
        tmp_path, 'class_labels.txt', ['a/1.jpg,0', 'a/2.jpg,4', 'b/3.jpg,5']
    )
    assert parse_class_labels(path, IDS, num_classes=6)['b/3.jpg'] == 5
    with pytest.raises(
        ValueError,
        match=r'class_labels.txt, line 3: class label 5 out of range '
        r'for num_classes=5',
    ):
        parse_class_labels(path, IDS, num_classes=5)


def test_image_without_label(tmp_path):
    path = _file(tmp_path, 'class_labels.txt', ['a/1.jpg,0', 'b/3.jpg,1'])
    with pytest.raises(ValueError, match=r"no class label, e.g. 'a/2.jpg'"):
        parse_class_labels(path, IDS)


def test_parse_image_sizes(tmp_path):
    path = _file(tmp_path, 'image_sizes.txt', ['a/1.jpg,500,333'])
    assert parse_image_sizes(path, IDS) == {'a/1.jpg': (500, 333)}
    empty = _file(tmp_path, 'empty.txt', [])
    assert parse_image_sizes(empty, IDS) == {}


@pytest.mark.parametrize(
    'line, message',
    [
        ('a/1.jpg,500', 'expected 3 comma separated fields'),
        ('a/1.jpg,500,abc', "height must be an integer, got 'abc'"),
        ('a/1.jpg,0,10', 'image size must be positive'),
        ('q.jpg,10,10', "unknown image id 'q.jpg'"),
    ],
)
def test_image_sizes_errors(tmp_path, line, message):
    path = _file(tmp_path, 'image_sizes.txt', ['a/2.jpg,1,1', line])
    with pytest.raises(
        ValueError, match='image_sizes.txt, line 2: ' + message
    ):
        parse_image_sizes(path, IDS)


def test_parse_boxes_groups_repeated_paths(tmp_path):
    path = _file(
        tmp_path,
        'localization.txt',
        ['a/1.jpg,1,2,3,4', 'b/3.jpg,0,0,9.5,9', 'a/1.jpg,10,20,30,40'],
        newline_at_end=False,
    )
    boxes = parse_boxes(path, IDS)
    assert set(boxes) == {'a/1.jpg', 'b/3.jpg'}
    assert boxes['a/1.jpg'].dtype == np.float32
    np.testing.assert_array_equal(
        boxes['a/1.jpg'], [[1, 2, 3, 4], [10, 20, 30, 40]]
    )
    np.testing.assert_array_equal(boxes['b/3.jpg'], [[0, 0, 9.5, 9]])
    assert parse_localization(path, IDS)['format'] == 'boxes'


@pytest.mark.parametrize(
    'line, message',
    [
        ('a/1.jpg,1,2,3', 'expected a box line'),
        ('a/1.jpg,1,2,x,4', "x1 must be a number, got 'x'"),
        ('a/1.jpg,1,2,3,nan', "y1 must be finite, got 'nan'"),
        (
            'a/1.jpg,5,2,3,4',
            r'box corners must satisfy x0 <= x1 and y0 <= y1, '
            r'got \(5, 2, 3, 4\)',
        ),
        ('a/1.jpg,1,5,3,4', r'box corners must satisfy x0 <= x1'),
        ('c.jpg,1,2,3,4', "unknown image id 'c.jpg'"),
    ],
)
def test_box_errors_name_file_and_line(tmp_path, line, message):
    path = _file(tmp_path, 'localization.txt', ['a/2.jpg,0,0,1,1', '', line])
    with pytest.raises(
        ValueError, match='localization.txt, line 3: ' + message
    ):
        parse_localization(path, IDS)


def test_parse_masks(tmp_path):
    path = _file(
        tmp_path,
        'localization.txt',
        [
            'a/1.jpg,m/1a.png,m/1_ignore.png',
            'a/1.jpg,m/1b.png,',
            'b/3.jpg,m/3.png,',
        ],
    )
    mask_paths, ignore_paths = parse_masks(path, IDS)
    assert mask_paths == {
        'a/1.jpg': ['m/1a.png', 'm/1b.png'],
        'b/3.jpg': ['m/3.png'],
    }
    assert ignore_paths == {'a/1.jpg': 'm/1_ignore.png', 'b/3.jpg': None}
    parsed = parse_localization(path, IDS)
    assert parsed['format'] == 'masks'
    assert parsed['boxes'] == {}
    assert parsed['mask_paths'] == mask_paths


@pytest.mark.parametrize(
    'line, message',
    [
        ('a/1.jpg,,ign.png', 'empty mask path'),
        (
            'a/1.jpg,m2.png,other_ignore.png',
            "image 'a/1.jpg' has one ignore "
            'mask, given on line '
            '1; further instance lines must leave the third field empty',
        ),
        ('x.jpg,m.png,', "unknown image id 'x.jpg'"),
    ],
)
def test_mask_errors_name_file_and_line(tmp_path, line, message):
    path = _file(
        tmp_path, 'localization.txt', ['a/1.jpg,m1.png,ign.png', line]
    )
    with pytest.raises(
        ValueError, match='localization.txt, line 2: ' + message
    ):
        parse_localization(path, IDS)


def test_mixed_localization_formats(tmp_path):
    path = _file(
        tmp_path,
        'localization.txt',
        ['a/1.jpg,1,2,3,4', 'a/2.jpg,m.png,i.png'],
    )
    with pytest.raises(
        ValueError,
        match=r'localization.txt, line 2: mixed localization formats: '
        r'this line has masks, line 1 has boxes',
    ):
        detect_localization_format(path)


def test_empty_localization_file(tmp_path):
    path = _file(tmp_path, 'localization.txt', [])
    assert detect_localization_format(path) is None
    assert parse_localization(path, IDS) == dict(
        format=None, boxes={}, mask_paths={}, ignore_paths={}
    )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(IDS),
            st.integers(0, 1000),
            st.integers(0, 1000),
            st.integers(0, 1000),
            st.integers(0, 1000),
        ),
        max_size=12,
    ),
    st.booleans(),
)
def test_box_round_trip(tmp_path_factory, rows, newline_at_end):
    """Written boxes come back per image, in file order, normalised."""
    rows = [
        (i, min(a, c), min(b, d), max(a, c), max(b, d))
        for i, a, b, c, d in rows
    ]
    path = _file(
        tmp_path_factory.mktemp('boxes'),
        'localization.txt',
        [','.join(map(str, r)) for r in rows],
        newline_at_end,
    )
    boxes = parse_boxes(path, IDS)
    for image_id in IDS:
        expected = [r[1:] for r in rows if r[0] == image_id]
        if expected:
            np.testing.assert_array_equal(boxes[image_id], expected)
        else:
            assert image_id not in boxes


@pytest.mark.parametrize('lines', [[], ['', '  ']])
def test_empty_split_names_the_split_and_the_file(tmp_path, lines):
    path = osp.join(str(tmp_path), 'metadata', 'train', 'image_ids.txt')
    os.makedirs(osp.dirname(path))
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    with pytest.raises(ValueError) as info:
        parse_image_ids(path)
    assert str(info.value) == (
        f"{path}: no image ids, the split 'train' is empty"
    )
