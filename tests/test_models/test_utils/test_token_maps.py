import pytest
import torch

from mmwsol.models.utils import (
    infer_grid,
    patch_grid,
    token_layout,
    tokens_to_map,
)


def _tokens(n, extra, h, w, c):
    """Tokens whose patch token at (i, j), channel k, equals
    1000 * k + 10 * i + j, and extra tokens equal to -1."""
    grid = torch.empty(n, c, h, w)
    for k in range(c):
        for i in range(h):
            for j in range(w):
                grid[:, k, i, j] = 1000 * k + 10 * i + j
    patches = [grid[:, :, i, j] for i in range(h) for j in range(w)]
    seq = torch.stack(patches, dim=1)  # row-major order
    return torch.cat([torch.full((n, extra, c), -1.0), seq], dim=1), grid


@pytest.mark.parametrize('extra', [0, 1, 2])
def test_tokens_land_where_expected_square(extra):
    x, grid = _tokens(2, extra, 3, 3, 4)
    out = tokens_to_map(x, num_extra_tokens=extra)
    assert out.shape == (2, 4, 3, 3)
    assert torch.equal(out, grid)
    assert out[1, 2, 1, 2] == 2012  # channel 2, row 1, col 2
    assert (out >= 0).all()  # the extra tokens were dropped


def test_non_square_grid():
    x, grid = _tokens(1, 1, 2, 5, 3)
    out = tokens_to_map(x, num_extra_tokens=1, grid_hw=(2, 5))
    assert torch.equal(out, grid)
    assert out[0, 1, 1, 4] == 1014
    # a 5 x 2 grid reads the same row-major tokens: its (1, 0) is the
    # third patch token, (0, 2) of the true grid
    other = tokens_to_map(x, num_extra_tokens=1, grid_hw=(5, 2))
    assert other.shape == (1, 3, 5, 2)
    assert other[0, 0, 1, 0] == 2


def test_wrong_length_errors_name_the_shape():
    x = torch.zeros(2, 11, 4)  # 1 extra + 10 patches: not square
    with pytest.raises(ValueError, match=r'\(2, 11, 4\).*grid_hw'):
        tokens_to_map(x, num_extra_tokens=1)
    with pytest.raises(ValueError, match=r'10 patch tokens.*3x3'):
        tokens_to_map(x, num_extra_tokens=1, grid_hw=(3, 3))
    with pytest.raises(ValueError, match=r'\(N, L, C\)'):
        tokens_to_map(torch.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match='num_extra_tokens'):
        tokens_to_map(x, num_extra_tokens=-1)
    with pytest.raises(ValueError, match='no patch tokens'):
        tokens_to_map(torch.zeros(1, 2, 4), num_extra_tokens=2)


def test_infer_grid_follows_input_aspect():
    assert infer_grid(16) == (4, 4)
    assert infer_grid(32, input_hw=(64, 128)) == (4, 8)
    assert infer_grid(32, input_hw=(128, 64)) == (8, 4)
    # padded grids (ceil) still pick the closest factorisation
    assert infer_grid(12, input_hw=(50, 70)) == (3, 4)
    with pytest.raises(ValueError, match='square'):
        infer_grid(12)


def _vit(**kwargs):
    from mmpretrain.models import VisionTransformer

    cfg = dict(
        arch={
            'embed_dims': 8,
            'num_layers': 1,
            'num_heads': 2,
            'feedforward_channels': 16,
        },
        img_size=64,
        patch_size=16,
    )
    cfg.update(kwargs)
    return VisionTransformer(**cfg)


def test_token_layout_of_vit_deit_swin_and_cnn():
    from mmpretrain.models import (
        DistilledVisionTransformer,
        ResNet,
        SwinTransformer,
    )

    vit = _vit()
    assert token_layout(vit) == (1, (4, 4))
    # 16-pixel patches: 64 x 96 -> 4 x 6, 70 -> ceil (adaptive padding)
    assert token_layout(vit, input_hw=(64, 96)) == (1, (4, 6))
    assert token_layout(vit, input_hw=(70, 64)) == (1, (5, 4))
    assert token_layout(_vit(with_cls_token=False, out_type='featmap')) == (
        0,
        (4, 4),
    )
    deit = DistilledVisionTransformer(
        arch='deit-tiny', img_size=64, patch_size=16
    )
    assert token_layout(deit).num_extra_tokens == 2
    swin = SwinTransformer(arch='tiny', img_size=64)
    assert token_layout(swin, input_hw=(64, 64)) == (0, (16, 16))
    assert token_layout(ResNet(depth=18)) == (0, None)


def test_patch_grid_checks_the_module():
    with pytest.raises(TypeError, match='projection'):
        patch_grid(torch.nn.Identity(), (64, 64))


def test_layout_reshapes_real_vit_tokens_like_mmpretrain_featmap():
    """The map of the last block's tokens equals mmpretrain's own
    ``out_type='featmap'`` output (an independent reshaping)."""
    torch.manual_seed(0)
    vit = _vit(out_type='raw', final_norm=True, img_size=(64, 96))
    featmap = _vit(out_type='featmap', img_size=(64, 96))
    featmap.load_state_dict(vit.state_dict())
    vit.eval()
    featmap.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        tokens = vit(x)[-1]
        expected = featmap(x)[-1]
    layout = token_layout(vit, input_hw=(64, 96))
    out = tokens_to_map(tokens, *layout)
    assert out.shape == (2, 8, 4, 6)
    assert torch.allclose(out, expected)
