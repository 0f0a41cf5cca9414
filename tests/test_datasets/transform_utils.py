"""Builders shared by the tests of the geometric transforms: results
whose pixels encode their coordinates, the box of a seg map and the
hypothesis strategies of boxes and crop / flip chains."""

import numpy as np
from hypothesis import strategies as st
from wsol_data_utils import rect_mask

from mmwsol.datasets.transforms import init_geometry


def coded_results(width=40, height=30, boxes=((5, 4, 20, 25),), seg=True):
    """Results of an image whose pixels encode ``(x + 1, y + 1)``."""
    ys, xs = np.mgrid[:height, :width]
    img = np.stack([xs + 1, ys + 1, np.zeros_like(xs)], -1).astype(np.uint8)
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    results = dict(
        img=img,
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_bboxes=boxes.copy(),
        ori_gt_bboxes=boxes.copy(),
    )
    if seg:
        seg_map = np.zeros((height, width), np.uint8)
        for box in boxes.astype(int):
            seg_map |= rect_mask(width, height, box).astype(np.uint8)
        results['gt_seg_map'] = seg_map
    return results


def seg_map_box(seg_map):
    """Pixel-inclusive box of the foreground of a seg map (None if empty)."""
    ys, xs = np.nonzero(seg_map == 1)
    if len(xs) == 0:
        return None
    return [xs.min(), ys.min(), xs.max(), ys.max()]


def with_geometry(width=40, height=30, **kwargs):
    """:func:`coded_results` with an identity geometry record."""
    results = coded_results(width, height, **kwargs)
    results['wsol_geometry'] = init_geometry(height, width)
    return results


@st.composite
def box_samples(draw):
    """An image size and one pixel-inclusive box inside it."""
    width = draw(st.integers(4, 40))
    height = draw(st.integers(4, 40))
    x0 = draw(st.integers(0, width - 1))
    x1 = draw(st.integers(x0, width - 1))
    y0 = draw(st.integers(0, height - 1))
    y1 = draw(st.integers(y0, height - 1))
    return width, height, (x0, y0, x1, y1)


CROP_FLIP_TRANSFORMS = st.sampled_from(
    [
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='RandomFlip', prob=1.0, direction='vertical'),
        dict(type='RandomFlip', prob=0.5, direction='diagonal'),
        dict(type='RandomCrop', crop_size=3),
        dict(type='RandomCrop', crop_size=(5, 7), padding=2),
        dict(type='RandomCrop', crop_size=(9, 6), pad_if_needed=True),
        dict(type='CenterCrop', crop_size=(6, 4)),
        dict(type='CenterCrop', crop_size=11),
    ]
)


# the box-moving transforms, with the padding variant of CenterCrop
GEOMETRY_TRANSFORMS = st.one_of(
    CROP_FLIP_TRANSFORMS.filter(lambda cfg: cfg.get('crop_size') != 11),
    st.just(dict(type='CenterCrop', crop_size=11, auto_pad=True)),
)
