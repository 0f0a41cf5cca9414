"""Tests of WSOLMetric's compact per-sample entries (box_entries)."""

import numpy as np
import pytest

from mmwsol.evaluation.metrics.box_entries import (
    entry_rows,
    read_entries,
    unpack_bits,
)


def test_entry_rows():
    # the box rule shares the sweep's box mode: the loc IoU is a row
    assert entry_rows((30, 50, 70), 50, True) == ([30, 50, 70], 1)
    assert entry_rows((50,), 60, True) == ([50, 60], 1)
    # its own box mode: the loc row is stored apart
    assert entry_rows((30, 50, 70), 60, False) == ([30, 50, 70], None)


def test_bits_round_trip_with_a_count_off_the_byte():
    bits = np.array([[1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1]], dtype=bool)
    packed = np.packbits(bits, axis=-1)
    assert packed.shape == (1, 2)  # 11 thresholds in two bytes
    np.testing.assert_array_equal(unpack_bits(packed, 11), bits)


def _entry(rank, rows):
    return dict(
        gt_rank=rank,
        num_classes=3 if rank is not None else None,
        box_correct=np.packbits(np.array(rows, dtype=bool), axis=-1),
        fixed_correct=rank == 0,
    )


def test_read_entries_stacks_and_picks_the_loc_row():
    entries = [_entry(0, [[1, 0, 0], [0, 1, 1]]), _entry(2, [[0] * 3] * 2)]
    arrays = read_entries(entries, 3, loc_row=1)
    assert arrays['ranks'].tolist() == [0, 2]
    assert arrays['num_classes'] == 3
    assert arrays['correct'].shape == (2, 2, 3)
    assert arrays['loc_correct'].tolist() == [[0, 1, 1], [0, 0, 0]]
    assert arrays['fixed'].tolist() == [True, False]
    with pytest.raises(ValueError, match='1 samples with .*1 without'):
        read_entries([entries[0], _entry(None, [[0] * 3] * 2)], 3, 1)
