import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.models.necks import upsample_concat
from mmwsol.registry import MODELS


def _branches():
    """Four maps like HRNet's: 8x8, 4x4, 2x2, 1x1, channel c of branch b
    constant ``10 * b + c``."""
    return tuple(
        torch.stack(
            [torch.full((2, 8 >> b, 8 >> b), 10.0 * b + c) for c in range(2)],
            dim=1,
        )
        for b in range(4)
    )


def test_select_branch_picks_the_output():
    neck = MODELS.build(dict(type='SelectBranch', index=0))
    feats = _branches()
    out = neck(feats)
    assert len(out) == 1 and out[0] is feats[0]
    assert (
        MODELS.build(dict(type='SelectBranch', index=-2))(feats)[0]
        is (feats[2])
    )
    single = torch.zeros(1, 2, 3, 3)
    assert neck(single)[0] is single
    with pytest.raises(IndexError, match='index=4.*4 output.*out_indices'):
        MODELS.build(dict(type='SelectBranch', index=4))(feats)


def test_hr_fuse_concatenates_at_the_target_size():
    feats = _branches()
    (out,) = MODELS.build(dict(type='HRFuseNeck'))(feats)
    assert out.shape == (2, 8, 8, 8)
    # constant maps stay constant when resized: channel 2 * b + c of the
    # fused map holds 10 * b + c everywhere
    for b in range(4):
        for c in range(2):
            assert torch.allclose(
                out[:, 2 * b + c], torch.tensor(10.0 * b + c)
            )
    (low,) = MODELS.build(dict(type='HRFuseNeck', target=2))(feats)
    assert low.shape == (2, 8, 2, 2)
    with pytest.raises(IndexError, match='target=5.*4 output'):
        MODELS.build(dict(type='HRFuseNeck', target=5))(feats)


def test_upsample_concat_nearest_values():
    small = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    big = torch.zeros(1, 1, 4, 4)
    out = upsample_concat([big, small], mode='nearest')
    expected = torch.tensor(
        [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4.0]]
    )
    assert torch.equal(out[0, 1], expected)
    assert torch.equal(out[0, 0], big[0, 0])


def _tiny_hrnet_extra():
    stages = [
        (1, 1, 'BOTTLENECK', (1,), (8,)),
        (1, 2, 'BASIC', (1, 1), (4, 8)),
        (1, 3, 'BASIC', (1, 1, 1), (4, 8, 16)),
        (1, 4, 'BASIC', (1, 1, 1, 1), (4, 8, 16, 32)),
    ]
    keys = ('num_modules', 'num_branches', 'block', 'num_blocks')
    return {
        f'stage{i + 1}': dict(zip(keys + ('num_channels',), stage))
        for i, stage in enumerate(stages)
    }


def test_hrnet_cam_at_the_high_resolution_branch():
    init_default_scope('mmwsol')
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(type='HRNet', extra=_tiny_hrnet_extra()),
            neck=dict(type='HRFuseNeck'),
            head=dict(type='CAMHead', num_classes=3, in_channels=60),
        )
    )
    model.init_weights()
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert model.extract_feat(x)[-1].shape == (1, 60, 16, 16)
        (sample,) = model.predict(x, [DataSample().set_gt_label(1)])
    assert sample.gt_cam.shape == (64, 64)
    assert torch.isfinite(sample.gt_cam).all()
    assert 0 <= sample.gt_cam.min() and sample.gt_cam.max() <= 1
