import torch
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import CAM, BaseLocalizer
from mmwsol.registry import MODELS


def _model(topk_maps=2, num_classes=6):
    cfg = dict(
        type='WSOLClassifier',
        backbone=dict(type='ResNet', depth=18, strides=(1, 2, 2, 1)),
        head=dict(type='CAMHead', num_classes=num_classes, in_channels=512),
        localizer=dict(type='CAM'),
        topk_maps=topk_maps,
    )
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def test_predict_contract():
    torch.manual_seed(0)
    model = _model()
    inputs = torch.randn(3, 3, 64, 48)
    samples = [DataSample().set_gt_label(i) for i in (0, 5, 2)]
    with torch.no_grad():
        out = model.predict(inputs, samples)
        logits = model(inputs, mode='tensor')
    for i, s in enumerate(out):
        assert s.gt_cam.shape == (64, 48)
        assert s.pred_cams.shape == (2, 64, 48)
        assert float(s.gt_cam.min()) >= 0 and float(s.gt_cam.max()) <= 1
        assert torch.allclose(s.pred_score, logits[i].softmax(0))
        assert int(s.pred_label) == int(logits[i].argmax())
        top = logits[i].topk(2).indices
        assert torch.equal(s.pred_cam_labels, top)
        # the map of the top-1 class equals gt_cam when GT = top-1
        alone = model.predict(
            inputs[i : i + 1], [DataSample().set_gt_label(int(top[0]))]
        )[0]
        assert torch.allclose(alone.gt_cam, s.pred_cams[0], atol=1e-5)


def test_predict_without_labels_and_no_maps():
    model = _model(topk_maps=10, num_classes=4)
    with torch.no_grad():
        out = model.predict(torch.randn(2, 3, 32, 32))
    assert 'gt_cam' not in out[0]
    assert out[0].pred_cams.shape == (4, 32, 32)  # clipped to K
    model = _model(topk_maps=0)
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 32, 32))
    assert 'pred_cams' not in out[0] and 'gt_cam' not in out[0]


def test_sample_maps_do_not_depend_on_batch():
    torch.manual_seed(1)
    model = _model()
    x = torch.randn(4, 3, 32, 32)
    labels = [1, 3, 0, 2]
    with torch.no_grad():
        batch = model.predict(
            x, [DataSample().set_gt_label(i) for i in labels]
        )
        single = model.predict(x[2:3], [DataSample().set_gt_label(0)])
    assert torch.allclose(batch[2].gt_cam, single[0].gt_cam, atol=1e-5)


def test_loss_mode():
    model = _model().train()
    samples = [DataSample().set_gt_label(i) for i in (0, 1)]
    losses = model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    assert set(losses) == {'loss'}
    losses['loss'].backward()
    assert model.head.fc.weight.grad is not None


class _NaNLocalizer(BaseLocalizer):
    """CAM maps (2x2 here), with a NaN in the GT map of sample 1 and an inf
    in the 2nd predicted-class map of sample 2, both off pixel (0, 0)."""

    def forward(self, model, inputs, feats, logits, targets):
        maps = CAM()(model, inputs, feats, logits, targets).clone()
        maps[1, 0, 1, 1] = float('nan')
        if maps.shape[1] > 2:
            maps[2, 2, 1, 0] = float('inf')
        return maps


def test_predict_flags_invalid_maps():
    torch.manual_seed(0)
    model = _model(topk_maps=2)
    model.localizer = _NaNLocalizer()
    samples = [DataSample().set_gt_label(i) for i in (0, 5, 2)]
    with torch.no_grad():
        out = model.predict(torch.randn(3, 3, 32, 32), samples)
    assert [s.gt_cam_valid for s in out] == [True, False, True]
    assert all(isinstance(s.gt_cam_valid, bool) for s in out)
    assert torch.equal(out[1].gt_cam, torch.zeros(32, 32))
    for i in (0, 2):  # the others are real maps
        assert float(out[i].gt_cam.max()) == 1.0
    assert [s.pred_cams_valid.tolist() for s in out] == [
        [True, True],
        [True, True],
        [True, False],
    ]
    assert torch.equal(out[2].pred_cams[1], torch.zeros(32, 32))
    assert float(out[2].pred_cams[0].max()) == 1.0
    # without GT: the flags of the predicted-class maps only
    with torch.no_grad():
        out = model.predict(torch.randn(3, 3, 32, 32))
    assert 'gt_cam_valid' not in out[0]
    assert out[1].pred_cams_valid.tolist() == [False, True]


def test_localize_with_validity_checks_raw_and_resized_maps():
    torch.manual_seed(0)
    model = _model()
    x = torch.randn(3, 3, 32, 32)
    targets = torch.tensor([[0, 1, 2]] * 3)
    loc = _NaNLocalizer(upsample='nearest')
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        maps, valid = loc.localize_with_validity(
            model, x, feats, logits, targets
        )
        alone = loc.localize(model, x, feats, logits, targets)
        # nearest 2x2 -> 1x1 keeps pixel (0, 0) only: still invalid
        small, small_valid = loc.localize_with_validity(
            model, x, feats, logits, targets, out_size=(1, 1)
        )
    expected = torch.ones(3, 3, dtype=torch.bool)
    expected[1, 0] = expected[2, 2] = False
    assert torch.equal(valid, expected)
    assert torch.equal(small_valid, expected)
    assert torch.isfinite(small).all()
    assert torch.equal(maps, alone)
    assert torch.equal(maps[1, 0], torch.zeros(32, 32))
