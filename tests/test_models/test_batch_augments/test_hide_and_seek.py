"""Hide-and-Seek: the reference's cell rule, its defaults, the preprocessor."""

import pytest
import torch

from mmwsol.models.batch_augments import HideAndSeek, hide_and_seek_mask
from mmwsol.registry import MODELS


def _loop_reference(images, draws, grid_size, drop_rate):
    """wsolevaluation's rule written as loops over cells: a cell (starting
    at multiples of ``grid_size``, cut at the border) is zeroed when its
    uniform draw is <= drop_rate. ``draws[n, 0, i, j]`` is cell (i, j)."""
    out = images.clone()
    n_img, _, h, w = images.shape
    for n in range(n_img):
        for i, y in enumerate(range(0, h, grid_size)):
            for j, x in enumerate(range(0, w, grid_size)):
                if draws[n, 0, i, j] <= drop_rate:
                    out[n, :, y : y + grid_size, x : x + grid_size] = 0.0
    return out


@pytest.mark.parametrize(
    'size,grid_size', [((12, 12), 4), ((10, 10), 4), ((9, 14), 3)]
)
def test_mask_equals_the_loop_rule_for_the_same_draws(size, grid_size):
    h, w = size
    images = torch.rand(3, 2, h, w) + 1.0  # no zeros of its own
    gen = torch.Generator().manual_seed(7)
    mask = hide_and_seek_mask(3, h, w, grid_size, 0.5, generator=gen)
    rows, cols = -(-h // grid_size), -(-w // grid_size)
    draws = torch.rand(
        (3, 1, rows, cols), generator=torch.Generator().manual_seed(7)
    )
    expected = _loop_reference(images, draws, grid_size, 0.5)
    assert torch.equal(images * mask, expected)
    # both outcomes occur, and cells are constant
    assert 0 < mask.mean() < 1


def test_hand_example_border_cells_are_cut():
    # 5 x 5 image, cells of 2: rows/cols [0:2], [2:4], [4:5]
    mask = hide_and_seek_mask(1, 5, 5, 2, 1.0)
    assert mask.shape == (1, 1, 5, 5) and mask.sum() == 0
    mask = hide_and_seek_mask(1, 5, 5, 2, 0.0)
    assert torch.equal(mask, torch.ones(1, 1, 5, 5))


def test_hidden_fraction_follows_drop_rate():
    gen = torch.Generator().manual_seed(0)
    mask = hide_and_seek_mask(64, 224, 224, 4, 0.5, generator=gen)
    # 64 * 56 * 56 = 200,704 independent cells: the std of the mean is 0.0011
    assert abs(1 - mask.mean().item() - 0.5) < 0.006
    mask = hide_and_seek_mask(64, 224, 224, 56, 0.25, generator=gen)
    assert abs(1 - mask.mean().item() - 0.25) < 0.08  # 1024 cells


def test_defaults_are_wsolevaluations():
    aug = HideAndSeek()
    assert (aug.grid_size, aug.drop_rate) == (4, 0.5)


def test_bad_arguments_name_the_option():
    with pytest.raises(ValueError, match='grid_size'):
        HideAndSeek(grid_size=-1)
    with pytest.raises(ValueError, match='drop_rate'):
        HideAndSeek(drop_rate=1.5)


def test_grid_size_zero_is_the_identity():
    images = torch.rand(2, 3, 8, 8)
    out, scores = HideAndSeek(grid_size=0)(images, torch.eye(2))
    assert torch.equal(out, images) and scores.dtype == torch.float32


def test_in_the_data_preprocessor_hidden_pixels_are_the_mean():
    from mmpretrain.structures import DataSample

    pre = MODELS.build(
        dict(
            type='ClsDataPreprocessor',
            num_classes=3,
            mean=[10.0, 20.0, 30.0],
            std=[2.0, 2.0, 2.0],
            batch_augments=dict(
                augments=dict(type='HideAndSeek', grid_size=4, drop_rate=0.5)
            ),
        )
    )
    # constant images equal to the mean plus 2 std: 1.0 after normalising
    img = torch.tensor([10.0, 20.0, 30.0]).view(3, 1, 1) + 4.0
    data = dict(
        inputs=[img.expand(3, 16, 16).clone() for _ in range(4)],
        data_samples=[DataSample().set_gt_label(i % 3) for i in range(4)],
    )
    torch.manual_seed(0)
    out = pre(data, training=True)
    values = set(out['inputs'].unique().tolist())
    assert values == {0.0, 2.0}  # hidden cells = the mean = 0
    hidden = (out['inputs'] == 0).all(dim=1)
    assert 0.2 < hidden.float().mean() < 0.8
    scores = torch.stack([s.gt_score for s in out['data_samples']])
    assert torch.equal(scores, torch.eye(3)[[0, 1, 2, 0]])
    out = pre(data, training=False)  # evaluation: untouched
    assert set(out['inputs'].unique().tolist()) == {2.0}
