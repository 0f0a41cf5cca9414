"""LayerCAM, XGrad-CAM, Score-CAM and Smooth Grad-CAM++ (issue #14.3):
the map functions against hand computations, the localizers' knobs."""

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.models.localizers.grad_cam_plus_plus import (
    GradCAMPlusPlus,
    grad_cam_plus_plus_maps,
)
from mmwsol.models.localizers.layer_cam import LayerCAM, layer_cam_maps
from mmwsol.models.localizers.score_cam import (
    ScoreCAM,
    score_cam_channel_scores,
    score_cam_maps,
    score_cam_masks,
)
from mmwsol.models.localizers.smooth_grad_cam_pp import (
    SmoothGradCAMpp,
    smooth_grad_cam_plus_plus_maps,
)
from mmwsol.models.localizers.xgrad_cam import XGradCAM, xgrad_cam_maps
from mmwsol.registry import MODELS

NEW = ('LayerCAM', 'XGradCAM', 'ScoreCAM', 'SmoothGradCAMpp')


def _model(num_classes=5, seed=0):
    """TinyWSOLNet (stage 0: 4 x 6 x 5 at 12 x 10; stage 1: 6 channels)
    + GAP + linear, non-trivial BN statistics."""
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(4, 6),
                stage_blocks=(1, 1),
                pool_strides=(2, 1),
                out_indices=(1,),
            ),
            head=dict(type='CAMHead', num_classes=num_classes, in_channels=6),
            localizer=dict(type='CAM'),
        )
    )
    model.init_weights()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        model.head.fc.weight.normal_()
        model.head.fc.bias.normal_()
    return model.eval()


# ---------------------------------------------------------------- LayerCAM
def test_layer_cam_maps_by_hand():
    acts = torch.tensor([[[[1.0, 2.0]], [[3.0, -1.0]]]])  # (1, 2, 1, 2)
    grads = torch.tensor([[[[[0.5, -1.0]], [[-2.0, 2.0]]]]])  # (1,1,2,1,2)
    # location 0: relu(.5)*1 + relu(-2)*3 = 0.5
    # location 1: relu(-1)*2 + relu(2)*(-1) = -2
    raw = layer_cam_maps(acts, grads, relu=False)
    assert torch.allclose(raw, torch.tensor([[[[0.5, -2.0]]]]))
    assert torch.allclose(
        layer_cam_maps(acts, grads), torch.tensor([[[[0.5, 0.0]]]])
    )


# ---------------------------------------------------------------- XGradCAM
def test_xgrad_cam_maps_by_hand():
    acts = torch.tensor([[[[1.0, 3.0]], [[0.0, 0.0]], [[2.0, 2.0]]]])
    grads = torch.tensor([[[[[2.0, 1.0]], [[5.0, 5.0]], [[-1.0, 1.0]]]]])
    # w0 = (2*1 + 1*3) / 4 = 1.25; w1: all-zero channel -> 0 (no NaN);
    # w2 = (-2 + 2) / 4 = 0
    expected = torch.tensor([[[[1.25, 3.75]]]])
    raw = xgrad_cam_maps(acts, grads, relu=False, eps=0.0)
    assert torch.allclose(raw, expected)
    # pytorch-grad-cam's eps = 1e-7 in the denominator
    raw = xgrad_cam_maps(acts, grads, relu=False)
    assert torch.allclose(raw, expected * 4 / (4 + 1e-7))
    assert torch.isfinite(raw).all()
    with pytest.raises(ValueError, match='eps'):
        xgrad_cam_maps(acts, grads, eps=-1.0)


# ---------------------------------------------------------------- ScoreCAM
def test_score_cam_masks_by_hand():
    acts = torch.tensor([[[1.0, 3.0], [2.0, 5.0]], [[7.0, 7.0], [7.0, 7.0]]])
    masks, varies = score_cam_masks(acts, (2, 2))
    assert masks.shape == (2, 1, 2, 2)
    assert torch.allclose(masks[0, 0], torch.tensor([[0, 0.5], [0.25, 1]]))
    assert torch.equal(masks[1], torch.zeros(1, 2, 2))
    assert varies.tolist() == [True, False]
    # upsampling: align_corners=True keeps the corners
    up, _ = score_cam_masks(acts[:1], (3, 3), align_corners=True)
    centre = torch.tensor((0 + 0.5 + 0.25 + 1) / 4)
    assert torch.allclose(up[0, 0, 1, 1], centre)


def _linear_forward(weight):
    """A 'model': logits = flattened input @ weight."""
    return lambda x: x.flatten(1) @ weight


def test_score_cam_channel_scores_by_hand_and_batch_size():
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 4, 4)
    acts = torch.rand(2, 3, 2, 2)
    acts[1, 2] = 0.0  # a dead channel
    targets = torch.tensor([[1, 0], [2, 2]])
    weight = torch.randn(3 * 16, 4)
    forward = _linear_forward(weight)
    up = torch.nn.functional.interpolate(
        acts, size=(4, 4), mode='bilinear', align_corners=False
    )
    expected = torch.zeros(2, 2, 3)
    for n in range(2):
        for c in range(3):
            a = up[n, c]
            if a.max() == a.min():
                continue
            mask = (a - a.min()) / (a.max() - a.min())
            probs = forward((inputs[n] * mask)[None]).softmax(dim=1)[0]
            expected[n, :, c] = probs[targets[n]]
    for batch_size in (1, 2, 5, 64):
        scores, ran = score_cam_channel_scores(
            forward, inputs, acts, targets, batch_size=batch_size
        )
        assert torch.allclose(scores, expected, atol=1e-6)
        assert ran.tolist() == [[True] * 3, [True, True, False]]
    # not skipped: the dead channel masks the whole input
    scores, ran = score_cam_channel_scores(
        forward, inputs, acts, targets, 'logit', skip_constant=False
    )
    assert ran.all()
    zero_logits = forward(torch.zeros(1, 3, 4, 4))[0]
    assert torch.allclose(scores[1, :, 2], zero_logits[[2, 2]])
    with pytest.raises(ValueError, match='batch_size'):
        score_cam_channel_scores(forward, inputs, acts, targets, 'logit', 0)


def test_score_cam_maps_by_hand():
    acts = torch.tensor([[[[1.0, -2.0]], [[3.0, 1.0]], [[5.0, 5.0]]]])
    scores = torch.tensor([[[0.5, 2.0, 9.0]]])  # (1, 1, 3)
    ran = torch.tensor([[True, True, False]])
    # plain weights, channel 2 not run: 0.5 * [1, -2] + 2 * [3, 1]
    raw = score_cam_maps(acts, scores, ran, relu=False)
    assert torch.allclose(raw, torch.tensor([[[[6.5, 1.0]]]]))
    # softmax over the channels run only
    w = torch.tensor([0.5, 2.0]).softmax(dim=0)
    expected = w[0] * acts[0, 0] + w[1] * acts[0, 1]
    raw = score_cam_maps(acts, scores, ran, channel_softmax=True)
    assert torch.allclose(raw[0, 0], expected.clamp(min=0))
    # no channel run: zero maps, not NaN
    none = torch.zeros(1, 3, dtype=torch.bool)
    assert torch.equal(
        score_cam_maps(acts, scores, none, True), torch.zeros(1, 1, 1, 2)
    )


def test_score_cam_localizer_equals_slow_loop_any_batch_size():
    init_default_scope('mmwsol')
    model = _model()
    x = torch.randn(2, 3, 12, 10)
    targets = torch.tensor([[0, 3], [4, 4]])
    with torch.no_grad():
        acts = model.backbone.stages[0](x)
    # slow reference: one masked image at a time, model(x * mask)
    up = torch.nn.functional.interpolate(
        acts, size=(12, 10), mode='bilinear', align_corners=False
    )
    expected = torch.zeros(2, 2, 6, 5)
    for n in range(2):
        for c in range(acts.shape[1]):
            a = up[n, c]
            if a.max() == a.min():
                continue
            mask = (a - a.min()) / (a.max() - a.min())
            with torch.no_grad():
                logits = model((x[n] * mask)[None], mode='tensor')
            probs = logits.softmax(dim=1)[0, targets[n]]
            expected[n] += probs[:, None, None] * acts[n, c]
    expected = expected.clamp(min=0)
    maps = [
        ScoreCAM('backbone.stages.0', batch_size=b)(
            model, x, None, None, targets
        )
        for b in (1, 3, 64)
    ]
    for raw in maps:
        assert torch.allclose(raw, expected, atol=1e-5)
    # the same up to float rounding (batched convolutions sum in another
    # order)
    for raw in maps[1:]:
        assert torch.allclose(raw, maps[0], rtol=1e-6, atol=1e-6)


# --------------------------------------------------------- SmoothGradCAMpp
def test_smooth_maps_with_one_sample_are_grad_cam_plus_plus():
    torch.manual_seed(0)
    acts, grads = torch.rand(2, 3, 4, 4), torch.randn(2, 2, 3, 4, 4)
    for variant in ('paper', 'reference'):
        ref = grad_cam_plus_plus_maps(acts, grads, False, variant)
        out = smooth_grad_cam_plus_plus_maps(
            acts, grads[:, None], False, variant
        )
        assert torch.allclose(out, ref)


def test_smooth_maps_average_gradient_powers_by_hand():
    acts = torch.tensor([[[[1.0, 3.0]]]])  # (1, 1, 1, 2): sum 4
    g = torch.tensor([[1.0, 2.0], [3.0, -2.0]])  # 2 samples
    grads = g.view(1, 2, 1, 1, 1, 2)
    d1 = g.mean(0)  # [2, 0]
    d2 = g.pow(2).mean(0)  # [5, 4]
    d3 = g.pow(3).mean(0)  # [14, 0]
    alpha = d2 / (2 * d2 + d3 * 4)  # [5/66, 1/2]
    w = (alpha * d1.clamp(min=0)).sum()  # 10/66
    out = smooth_grad_cam_plus_plus_maps(acts, grads, relu=False)
    assert torch.allclose(out.flatten(), w * acts.flatten())
    assert torch.allclose(w, torch.tensor(10 / 66))


def test_smooth_grad_cam_pp_seed_and_reduction_to_grad_cam_pp():
    init_default_scope('mmwsol')
    model = _model()
    x = torch.randn(3, 3, 12, 10)
    targets = torch.tensor([[0, 3], [4, 4], [1, 2]])
    layer = 'backbone.stages.0'

    def raw(**kw):
        loc = SmoothGradCAMpp(layer, **kw)
        return loc(model, x, None, None, targets)

    a, b = raw(n_samples=3, seed=1), raw(n_samples=3, seed=1)
    assert torch.equal(a, b)
    assert not torch.allclose(a, raw(n_samples=3, seed=2))
    ref = GradCAMPlusPlus(layer)(model, x, None, None, targets)
    assert torch.allclose(raw(n_samples=1, sigma=0.0), ref, atol=1e-6)
    assert not torch.allclose(raw(n_samples=1, sigma=0.5), ref, atol=1e-3)
    # an image's map does not depend on the rest of the batch
    alone = SmoothGradCAMpp(layer, n_samples=3, seed=1)(
        model, x[1:2], None, None, targets[1:2]
    )
    assert torch.allclose(alone, a[1:2], atol=1e-6)


# ------------------------------------------------------------ all four
@pytest.mark.parametrize('name', NEW)
def test_build_repr_and_errors(name):
    extra = dict(n_samples=2) if name == 'SmoothGradCAMpp' else {}
    loc = MODELS.build(dict(type=name, layer='backbone.stages.0', **extra))
    assert "layer='backbone.stages.0'" in repr(loc)
    with pytest.raises(ValueError, match='layer'):
        MODELS.build(dict(type=name, layer=''))
    with pytest.raises(ValueError, match='score'):
        MODELS.build(dict(type=name, layer='backbone', score='prob'))


def test_knob_errors():
    with pytest.raises(ValueError, match='batch_size'):
        ScoreCAM('backbone', batch_size=0)
    with pytest.raises(ValueError, match='n_samples'):
        SmoothGradCAMpp('backbone', n_samples=0)
    with pytest.raises(ValueError, match='sigma'):
        SmoothGradCAMpp('backbone', sigma=-0.1)
    with pytest.raises(ValueError, match='eps'):
        XGradCAM('backbone', eps=-1)
    assert 'eps=1e-07' in repr(XGradCAM('backbone'))
    assert isinstance(LayerCAM('backbone'), LayerCAM)


@pytest.mark.parametrize('name', NEW)
def test_predict_in_a_classifier_on_a_transformer_block(name):
    """Each localizer on a DeiT block (tokens -> 4 x 4 map at 64 px) via
    WSOLClassifier.predict under inference mode: (N, H, W) maps, finite,
    in [0, 1], and the model's modes restored."""
    init_default_scope('mmwsol')
    torch.manual_seed(0)
    extra = {
        'ScoreCAM': dict(batch_size=8),
        'SmoothGradCAMpp': dict(n_samples=2),
    }.get(name, {})
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='DistilledVisionTransformer',
                arch=dict(
                    embed_dims=16,
                    num_layers=2,
                    num_heads=2,
                    feedforward_channels=32,
                ),
                img_size=64,
                patch_size=16,
            ),
            head=dict(type='CAMHead', num_classes=3, in_channels=16),
            localizer=dict(type=name, layer='backbone.layers.0', **extra),
            topk_maps=1,
        )
    )
    model.init_weights()
    model.train()
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    with torch.inference_mode():
        out = model.predict(torch.randn(2, 3, 64, 64), samples)
    assert model.training and model.backbone.training
    for s in out:
        for maps in (s.gt_cam[None], s.pred_cams):
            assert maps.shape == (1, 64, 64)
            assert torch.isfinite(maps).all()
            assert maps.min() >= 0 and maps.max() <= 1
        assert s.gt_cam.max() > 0


def test_on_gap_linear_last_layer():
    """dS_k/dZ_{c,i} = W[k, c] / hw everywhere: XGradCAM = GradCAM =
    relu(CAM) / hw, LayerCAM = relu(sum_c relu(W[k, c]) Z_c) / hw."""
    init_default_scope('mmwsol')
    model = _model()
    x = torch.randn(3, 3, 12, 10)
    targets = torch.tensor([[0, 4], [2, 2], [3, 1]])
    layer = 'backbone.stages.1'
    with torch.no_grad():
        feats = model.extract_feat(x)[-1]  # (3, 6, 6, 5)
    weights = model.head.fc.weight.detach()[targets]  # (N, T, C)
    hw = feats.shape[-1] * feats.shape[-2]
    cam = torch.einsum('ntc,nchw->nthw', weights, feats) / hw
    layer_cam = torch.einsum('ntc,nchw->nthw', weights.clamp(min=0), feats)
    for loc, expected in (
        (XGradCAM(layer, eps=0), cam.clamp(min=0)),
        (LayerCAM(layer), (layer_cam / hw).clamp(min=0)),
    ):
        raw = loc(model, x, None, None, targets)
        assert torch.allclose(raw, expected, atol=1e-6)


def test_smooth_grad_cam_pp_on_gap_linear_last_layer_is_grad_cam_pp():
    """The gradient of a GAP + linear head does not depend on the input:
    the noise changes nothing on its layer, whatever sigma."""
    init_default_scope('mmwsol')
    model = _model()
    x = torch.randn(2, 3, 12, 10)
    targets = torch.tensor([[0, 4], [2, 2]])
    layer = 'backbone.stages.1'
    ref = GradCAMPlusPlus(layer)(model, x, None, None, targets)
    out = SmoothGradCAMpp(layer, n_samples=3, sigma=0.5)(
        model, x, None, None, targets
    )
    assert torch.allclose(out, ref, atol=1e-6)
