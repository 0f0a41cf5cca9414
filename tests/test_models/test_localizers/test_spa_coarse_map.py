"""SPA's own coarse map for SCG: ReLU(class channel with its bias),
the round trip of the normalised map through the image size, and the
SPA configs that use it."""

import numpy as np
import pytest
import torch
from scg_utils import (
    HEADS,
    np_norm,
    np_resize,
    np_scg,
    random_feats,
    scg_classifier,
)

from mmwsol.models.localizers import (
    SCG,
    seed_correlation_maps,
    spa_self_correlation_maps,
)
from mmwsol.registry import MODELS


class _TinyHead(torch.nn.Module):
    """Two channels, two classes, known weights and bias."""

    def cam_features(self, feats):
        return feats[-1]

    def class_weights(self):
        return torch.tensor([[0.5, 0.5], [1.0, -2.0]])

    def class_bias(self):
        return torch.tensor([0.25, -3.0])


class _TinyModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = _TinyHead()


def test_cam_with_bias_and_relu_by_hand():
    """Class 1: 1 * F0 - 2 * F1 - 3 = [[-2, -3], [0, 3]]; its ReLU
    [[0, 0], [0, 3]] normalises to a single object seed, where the bias-free
    map [[1, 0], [3, 6]] -> [[1/6, 0], [1/2, 1]] has three."""
    feats = (
        torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, -1.0]]])[
            None
        ],
    )
    targets = torch.tensor([[1]])
    model = _TinyModel()
    cam = MODELS.build(dict(type='CAM'))
    spa = MODELS.build(dict(type='CAM', with_bias=True, relu=True))
    raw = cam(model, None, feats, None, targets)
    assert torch.equal(raw[0, 0], torch.tensor([[1.0, 0.0], [3.0, 6.0]]))
    assert torch.equal(
        MODELS.build(dict(type='CAM', with_bias=True))(
            model, None, feats, None, targets
        )[0, 0],
        torch.tensor([[-2.0, -3.0], [0.0, 3.0]]),
    )
    assert torch.equal(
        spa(model, None, feats, None, targets)[0, 0],
        torch.tensor([[0.0, 0.0], [0.0, 3.0]]),
    )
    # CCAM with one class weighted 1 (TopBottom(1, 0)) is the same map
    ccam = MODELS.build(
        dict(
            type='CCAM',
            combination=dict(type='TopBottom', top=1),
            with_bias=True,
            relu=True,
        )
    )
    logits = torch.tensor([[0.0, 1.0]])
    assert torch.equal(
        ccam(model, None, feats, logits, targets),
        spa(model, None, feats, None, targets),
    )
    # top-1 & bottom-1 for class 1 (class 0 last): the map minus class 0's
    # map 0.5 F0 + 0.5 F1 + 0.25 = [[0.75, 1.75], [1.75, 1.75]]
    ccam.combination = MODELS.build(
        dict(type='CCAM', combination=dict(type='TopBottom', top=1, bottom=1))
    ).combination
    ccam.relu = False
    assert torch.allclose(
        ccam(model, None, feats, logits, targets)[0, 0],
        torch.tensor([[-2.75, -4.75], [-1.75, 1.25]]),
    )
    # the seeds (obj_th 0.1, bg_th 0.05) of the two coarse maps differ
    hsc = torch.eye(4, dtype=torch.float64)[None] + 0.1
    for coarse, expected in [
        (torch.tensor([[0.0, 0.0], [0.0, 1.0]]), [0.0, 0.0, 0.0, 1.0]),
        (torch.tensor([[1 / 6, 0.0], [0.5, 1.0]]), [1.0, 0.0, 1.0, 1.0]),
    ]:
        maps = seed_correlation_maps(
            hsc.clone(), coarse.double().view(1, 1, 4)
        )
        # identity-like HSC: the map is the object seeds minus nothing
        # (the background seeds' columns only cover themselves)
        assert maps.flatten().tolist() == expected
    with pytest.raises(TypeError, match='class_bias'):
        spa(_stub_no_bias(), None, feats, None, targets)


def _stub_no_bias():
    model = torch.nn.Module()
    model.head = torch.nn.Module()
    model.head.cam_features = lambda feats: feats[-1]
    model.head.class_weights = lambda: torch.ones(2, 2)
    return model


def test_coarse_round_trip_through_the_image_size_by_hand():
    """[[0, 0], [0, 1]] up to 4x4 and back (bilinear, half-pixel): along
    each axis [v0, v1] -> [v0, .75 v0 + .25 v1, .25 v0 + .75 v1, v1] ->
    [.875 v0 + .125 v1, .125 v0 + .875 v1]."""
    m = np.array([[0.0, 0.0], [0.0, 1.0]])
    expected = np.array([[0.015625, 0.109375], [0.109375, 0.765625]])
    np.testing.assert_allclose(
        np_resize(np_resize(m, (4, 4)), (2, 2)), expected, atol=1e-15
    )
    feats = random_feats(n=1, sizes=((2, 2),), channels=(3,))
    coarse = torch.tensor(m)[None, None] * 5 - 1  # normalised inside
    direct = spa_self_correlation_maps(feats, coarse)
    via = spa_self_correlation_maps(feats, coarse, coarse_via=(4, 4))
    np.testing.assert_allclose(
        direct[0, 0].numpy(), np_scg([feats[0][0].numpy()], m), atol=1e-7
    )
    np.testing.assert_allclose(
        via[0, 0].numpy(),
        np_scg([feats[0][0].numpy()], expected, normalized=True),
        atol=1e-7,
    )


@pytest.mark.parametrize('via_input', [False, True])
def test_spa_coarse_map_matches_the_authors_pipeline(via_input):
    """SCG(coarse=CAM(with_bias, relu)) on SPA's head: ReLU of the class
    channel (bias included), min-max normalised, (resized to the image size
    and back), seeds, as the authors' evaluation does."""
    torch.manual_seed(0)
    model = scg_classifier(
        HEADS[1],
        dict(type='CAM', with_bias=True, relu=True),
        feat_indices=(1, 2),
        coarse_via_input=via_input,
    )
    with torch.no_grad():  # a bias that matters: half the map below 0
        model.head.classifier.bias.fill_(0.0)
        x = torch.randn(2, 3, 32, 28)
        feats = model.extract_feat(x)
        class_maps = model.head.class_maps(feats)  # the authors' `logits`
        model.head.classifier.bias.copy_(
            -class_maps.flatten(2).median(dim=2).values.mean(0)
        )
        class_maps = model.head.class_maps(feats).double().numpy()
        logits = model.head(feats)
        targets = torch.tensor([[1, 3], [4, 0]])
        raw = model.localizer(model, x, feats, logits, targets)
        plain = SCG(coarse=dict(type='CAM'), feat_indices=(1, 2))(
            model, x, feats, logits, targets
        )
    for i in range(2):
        for t in range(2):
            cam = np_norm(np.maximum(class_maps[i, int(targets[i, t])], 0))
            if via_input:
                cam = np_resize(np_resize(cam, (32, 28)), cam.shape)
            ref = np_scg(
                [feats[1][i].double().numpy(), feats[2][i].double().numpy()],
                cam,
                normalized=True,
            )
            np.testing.assert_allclose(raw[i, t].numpy(), ref, atol=1e-4)
    assert (raw - plain).abs().max() > 0.1  # the bias-free map differs


def test_spa_configs_use_the_authors_coarse_map():
    """Every SPA config that runs SCG seeds it with the authors' coarse map
    (the ablations included); the CAM ablations keep plain CAM."""
    import glob
    import os.path as osp

    from mmengine import Config

    root = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', 'spa')
    paths = sorted(
        glob.glob(osp.join(root, '*.py'))
        + glob.glob(osp.join(root, 'ablations', '*.py'))
    )
    scg = [
        p for p in paths if Config.fromfile(p).model.localizer.type == 'SCG'
    ]
    assert len(scg) == 10  # 5 SPA + 5 baseline + SCG
    for path in scg:
        loc = Config.fromfile(path).model.localizer
        assert loc.coarse == dict(type='CAM', with_bias=True, relu=True), path
        assert loc.coarse_via_input is True, path
