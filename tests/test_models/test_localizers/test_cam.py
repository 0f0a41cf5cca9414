import cv2
import numpy as np
import pytest
import torch
from cam_stub_model import StubModel

from mmwsol.models.localizers import (
    CAM,
    class_activation_maps,
    normalize_maps,
    resize_maps,
)
from mmwsol.registry import MODELS


def test_class_activation_maps_hand_computed():
    # 2 channels, 2x2 map, 3 classes
    feats = torch.tensor(
        [[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, -1.0]]]]
    )
    weights = torch.tensor([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5]])
    targets = torch.tensor([[1, 2]])
    maps = class_activation_maps(feats, weights, targets)
    # class 1: 2*F0 - F1 ; class 2: 0.5*F0 + 0.5*F1
    expected1 = torch.tensor([[2.0, 3.0], [6.0, 9.0]])
    expected2 = torch.tensor([[0.5, 1.5], [1.5, 1.5]])
    assert torch.equal(maps[0, 0], expected1)
    assert torch.equal(maps[0, 1], expected2)
    # negative weight clamping: class 1 becomes 2*F0
    clamped = class_activation_maps(feats, weights, targets, True)
    assert torch.equal(clamped[0, 0], 2 * feats[0, 0])


def test_class_activation_maps_channel_mismatch():
    with pytest.raises(ValueError, match='channels'):
        class_activation_maps(
            torch.zeros(1, 3, 2, 2),
            torch.zeros(4, 2),
            torch.zeros(1, 1, dtype=torch.long),
        )


def test_normalize_maps_properties():
    x = torch.randn(3, 2, 7, 5)
    out = normalize_maps(x)
    flat = out.flatten(-2)
    assert torch.allclose(flat.amin(-1), torch.zeros(3, 2))
    assert torch.allclose(flat.amax(-1), torch.ones(3, 2))
    # order preserved
    ref = (x - x.flatten(-2).amin(-1)[..., None, None]) / (
        x.flatten(-2).amax(-1) - x.flatten(-2).amin(-1)
    )[..., None, None]
    assert torch.allclose(out, ref, atol=1e-6)
    # constant and NaN maps become zeros, other maps are unaffected
    y = x.clone()
    y[0, 0] = 3.0
    y[1, 1, 2, 2] = float('nan')
    out = normalize_maps(y)
    assert torch.equal(out[0, 0], torch.zeros(7, 5))
    assert torch.equal(out[1, 1], torch.zeros(7, 5))
    assert torch.allclose(out[2], normalize_maps(x[2]))


def test_bicubic_resize_matches_opencv():
    rng = np.random.default_rng(0)
    small = rng.random((14, 14)).astype(np.float32)
    ours = resize_maps(torch.from_numpy(small)[None, None], (224, 224))[0, 0]
    ref = cv2.resize(small, (224, 224), interpolation=cv2.INTER_CUBIC)
    assert np.abs(ours.numpy() - ref).max() < 1e-4


def test_cam_localizer_end_to_end():
    torch.manual_seed(0)
    feats = (torch.randn(2, 4, 3, 3),)
    w = torch.randn(5, 4)
    model = StubModel(w)
    cam = MODELS.build(dict(type='CAM'))
    assert isinstance(cam, CAM)
    targets = torch.tensor([[0, 3], [4, 4]])
    inputs = torch.zeros(2, 3, 12, 12)
    maps = cam.localize(model, inputs, feats, torch.zeros(2, 5), targets)
    assert maps.shape == (2, 2, 12, 12)
    # manual: map = sum_c w[k,c] F_c, bicubic to 12x12, min-max
    for i in range(2):
        for j in range(2):
            raw = (w[targets[i, j]][:, None, None] * feats[0][i]).sum(0)
            up = cv2.resize(
                raw.numpy(), (12, 12), interpolation=cv2.INTER_CUBIC
            )
            up = (up - up.min()) / (up.max() - up.min())
            assert np.abs(maps[i, j].numpy() - up).max() < 1e-4


def test_cam_rejects_head_without_weights():
    model = torch.nn.Module()
    model.head = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='CAM-style head'):
        CAM()(
            model,
            None,
            (torch.zeros(1, 2, 2, 2),),
            torch.zeros(1, 2),
            torch.zeros(1, 1, dtype=torch.long),
        )
