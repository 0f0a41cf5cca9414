"""Fixtures of the evaluation tests."""

import pytest
from offline_utils import GT_224, IMAGES, box_map, save_map, write_metadata


@pytest.fixture
def box_split(tmp_path):
    meta = write_metadata(str(tmp_path / 'meta'), IMAGES)
    maps = tmp_path / 'maps'
    # a: exactly the GT box -> IoU 1 at every threshold.
    save_map(maps, 'cls0/a.jpg', box_map(*GT_224))
    # b: the box shifted 20 px right: intersection 80 x 140, union
    # 120 x 140 -> IoU 2/3: correct at IoU 30 and 50, not at 70.
    x0, y0, x1, y1 = GT_224
    save_map(maps, 'cls1/b.jpg', box_map(x0 + 20, y0, x1 + 20, y1))
    return meta, str(maps)
