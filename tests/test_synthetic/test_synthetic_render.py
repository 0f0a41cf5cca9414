"""mmwsol.synthetic: parameters, classes and one rendered image."""

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmwsol.synthetic import (
    PART_COLORS,
    SYNTHETIC_DEFAULTS,
    SyntheticSpec,
    class_dirs,
    class_names,
    mask_to_box,
    render_sample,
    resolve_params,
)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def test_class_names_hand_written():
    assert class_names(8) == [
        'red_circle',
        'green_square',
        'blue_triangle',
        'yellow_cross',
        'magenta_diamond',
        'cyan_ring',
        'orange_star',
        'white_bar',
    ]
    # Class 8 reuses colour 0 with the next shape; class 15 colour 7 shape 0.
    names = class_names(64)
    assert names[8] == 'red_square'
    assert names[15] == 'white_circle'
    assert len(set(names)) == 64
    assert class_dirs(2) == ['000_red_circle', '001_green_square']
    with pytest.raises(ValueError):
        class_names(65)
    with pytest.raises(ValueError):
        class_names(0)


def test_mask_to_box_inclusive():
    mask = np.zeros((5, 7), bool)
    mask[1, 2] = mask[3, 5] = True
    assert mask_to_box(mask) == (2, 1, 5, 3)
    mask[:] = False
    mask[4, 6] = True  # bottom-right pixel: x1 = w - 1, y1 = h - 1
    assert mask_to_box(mask) == (6, 4, 6, 4)
    with pytest.raises(ValueError):
        mask_to_box(np.zeros((3, 3), bool))


def test_defaults_in_one_place():
    spec = SyntheticSpec()
    assert SYNTHETIC_DEFAULTS['num_classes'] == spec.num_classes == 6
    assert SYNTHETIC_DEFAULTS['image_size'] == (128, 128)
    assert (spec.num_train, spec.num_val, spec.num_test) == (100, 20, 30)
    params = resolve_params()
    assert params['image_size'] == [128, 128]  # JSON form, as in meta.json
    assert resolve_params(image_size=96)['image_size'] == [96, 96]
    assert resolve_params(image_size=(96, 64))['image_size'] == [96, 64]


@pytest.mark.parametrize(
    'bad',
    [
        dict(num_classes=0),
        dict(num_classes=65),
        dict(num_train=-1),
        dict(image_size=(16, 64)),
        dict(size_jitter=0.6),
        dict(object_scale=(0.5, 0.2)),
        dict(two_instance_prob=1.5),
        dict(image_size=(64, 64, 3)),
    ],
)
def test_invalid_parameters(bad):
    with pytest.raises(ValueError):
        resolve_params(**bad)


def test_unknown_parameter():
    with pytest.raises(TypeError, match='colour'):
        resolve_params(colour='red')


# --------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    class_index=st.integers(0, 7),
    width=st.integers(48, 200),
    height=st.integers(48, 200),
    two=st.booleans(),
)
def test_render_sample_properties(seed, class_index, width, height, two):
    spec = SyntheticSpec(
        num_classes=8,
        image_size=(width, height),
        two_instance_prob=1.0 if two else 0.0,
    )
    sample = render_sample(np.random.default_rng(seed), class_index, spec)
    assert sample.image.shape == (height, width, 3)
    assert sample.image.dtype == np.uint8
    assert 1 <= len(sample.instance_masks) <= 2
    assert (
        len(sample.boxes)
        == len(sample.instance_masks)
        == len(sample.part_masks)
    )
    if not two:
        assert len(sample.boxes) == 1
    union = np.zeros((height, width), bool)
    for mask, part, box in zip(
        sample.instance_masks, sample.part_masks, sample.boxes
    ):
        assert mask.shape == (height, width)
        # The GT box is the tight box of the whole object (body + part).
        assert box == mask_to_box(mask)
        x0, y0, x1, y1 = box
        assert 0 <= x0 <= x1 <= width - 1 and 0 <= y0 <= y1 <= height - 1
        # The part is a small piece inside the body: at most the largest
        # wanted fraction (10 %) of the object, plus the pixels of a 2-pixel
        # rim that rasterising a shape of that area can add (it matters on
        # tiny objects: a 166-pixel body gets a 25-pixel part), and at least
        # room for the 1.5-pixel part of a sliver of a body.
        assert part.any() and not (part & ~mask).any()
        area = float(mask.sum())
        radius = math.sqrt(0.10 * area / math.pi)  # a disc: the smallest r
        assert part.sum() <= max(0.10 * area * (1 + 2 / radius) ** 2, 21)
        # Instances are disjoint.
        assert not (union & mask).any()
        union |= mask
    # Decoys (body texture fragments) never touch an object.
    assert not (sample.decoy_mask & union).any()


def test_render_sample_statistics():
    """Scale, part fraction and decoys follow the design on average."""
    spec = SyntheticSpec(num_classes=4, two_instance_prob=0.0)
    box_fraction, part_fraction, with_decoys = [], [], 0
    for i in range(60):
        sample = render_sample(np.random.default_rng([7, i]), i % 4, spec)
        x0, y0, x1, y1 = sample.boxes[0]
        box_fraction.append((x1 - x0 + 1) * (y1 - y0 + 1) / 128**2)
        part_fraction.append(
            sample.part_masks[0].sum() / sample.instance_masks[0].sum()
        )
        with_decoys += bool(sample.decoy_mask.any())
    assert 0.1 <= min(box_fraction) and max(box_fraction) <= 0.7
    assert np.median(box_fraction) == pytest.approx(0.375, abs=0.1)
    assert 0.04 <= np.median(part_fraction) <= 0.11
    assert with_decoys >= 20


def test_only_the_part_depends_on_the_class():
    """Same seed, another class: only the part pixels change."""
    spec = SyntheticSpec(num_classes=8)
    samples = [
        render_sample(np.random.default_rng(123), k, spec) for k in range(8)
    ]
    reference = samples[0]
    for sample in samples[1:]:
        assert sample.boxes == reference.boxes
        for mask, ref_mask in zip(
            sample.instance_masks, reference.instance_masks
        ):
            np.testing.assert_array_equal(mask, ref_mask)
        parts = np.any(np.stack(sample.part_masks + reference.part_masks), 0)
        np.testing.assert_array_equal(
            sample.image[~parts], reference.image[~parts]
        )


def test_part_has_the_class_colour():
    spec = SyntheticSpec(num_classes=8, noise_std=0.0)
    for k, (name, rgb) in enumerate(PART_COLORS.items()):
        sample = render_sample(np.random.default_rng(k), k, spec)
        part = sample.part_masks[0]
        inner = cv2.erode(
            part.astype(np.uint8), np.ones((3, 3), np.uint8)
        ).astype(bool)
        mean = sample.image[inner].astype(float).mean(0)
        # The part interior is the class colour up to a +-12 jitter.
        assert np.abs(mean - np.array(rgb)).max() <= 13, name
