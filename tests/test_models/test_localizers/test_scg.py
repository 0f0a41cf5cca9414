"""SPA's SCG localizer in a classifier: with CAM and CCAM coarse maps
against the numpy reference, batched vs per image, config errors and
the validity flags."""

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from scg_utils import (
    COARSE,
    HEADS,
    np_scg,
    scg_classifier,
)

from mmwsol.models.localizers import (
    SCG,
)


@pytest.mark.parametrize('head', HEADS, ids=lambda h: h['type'])
@pytest.mark.parametrize(
    'coarse', COARSE, ids=['CAM', 'CCAM-quadratic', 'CCAM-top1-bottom1']
)
def test_localizer_with_coarse_maps(head, coarse):
    torch.manual_seed(0)
    model = scg_classifier(head, coarse, feat_indices=(1, 2))
    x = torch.randn(3, 3, 32, 32)
    samples = [DataSample().set_gt_label(t) for t in (0, 3, 4)]
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        targets = torch.tensor([[0], [3], [4]])
        raw = model.localizer(model, x, feats, logits, targets)
        coarse_maps = model.localizer.coarse(model, x, feats, logits, targets)
        out = model.predict(x, samples)
    assert raw.shape == (3, 1, 4, 4)
    for i in range(3):
        ref = np_scg(
            [feats[1][i].double().numpy(), feats[2][i].double().numpy()],
            coarse_maps[i, 0].double().numpy(),
        )
        np.testing.assert_allclose(raw[i, 0].numpy(), ref, atol=1e-4)
    assert out[0].gt_cam.shape == (32, 32)
    assert out[0].pred_cams.shape == (2, 32, 32)
    assert 0 <= float(out[0].gt_cam.min()) <= float(out[0].gt_cam.max()) <= 1


def test_batched_equals_per_image():
    torch.manual_seed(0)
    # layers of different size: stage 1 (8x8) and stage 3 (4x4)
    model = scg_classifier(
        HEADS[1], COARSE[0], feat_indices=(0, 2), size='max'
    )
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        targets = logits.topk(3, dim=1).indices
        batched = model.localizer.localize(model, x, feats, logits, targets)
        model.localizer.max_batch = 3  # chunks of 3 + 1 images
        chunked = model.localizer.localize(model, x, feats, logits, targets)
        assert torch.allclose(batched, chunked, atol=1e-5)
        model.localizer.max_batch = None
        for i in range(4):
            one = model.localizer.localize(
                model,
                x[i : i + 1],
                tuple(f[i : i + 1] for f in feats),
                logits[i : i + 1],
                targets[i : i + 1],
            )
            assert torch.allclose(batched[i : i + 1], one, atol=1e-5)


def test_localizer_config_errors():
    with pytest.raises(ValueError):
        SCG(combination='min')
    with pytest.raises(ValueError):
        SCG(size='median')
    with pytest.raises(ValueError):
        SCG(feat_indices=())
    with pytest.raises(ValueError):
        SCG(max_batch=0)
    model = scg_classifier(HEADS[0], COARSE[0], feat_indices=(0, 5))
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(IndexError, match='out_indices'):
        model.predict(x)


def test_scg_flags_nan_coarse_maps_and_features():
    torch.manual_seed(0)
    model = scg_classifier(HEADS[0], dict(type='CAM'), feat_indices=(1, 2))
    x = torch.randn(3, 3, 32, 32)
    targets = torch.tensor([[0, 1], [2, 3], [4, 0]])
    with torch.no_grad():
        feats = list(model.extract_feat(x))
        logits = model.head(feats)
        feats[1] = feats[1].clone()
        feats[1][2, 0, 0, 0] = float('inf')  # an SCG layer of image 2
        feats[2] = feats[2].clone()
        feats[2][0, :, 1, 1] = float('nan')  # the CAM features of image 0
        maps, valid = model.localizer.localize_with_validity(
            model, x, tuple(feats), logits, targets
        )
    assert valid.tolist() == [[False, False], [True, True], [False, False]]
    assert maps[valid].amax(dim=(1, 2)).eq(1).all()
    assert maps[~valid].eq(0).all()
