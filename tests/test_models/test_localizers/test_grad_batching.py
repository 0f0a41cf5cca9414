"""Batched backward passes and the shared forward pass of the gradient
localizers: the same maps as the straightforward per-target loop, with one
forward and one backward pass."""

import pytest
import torch
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import LayerGradCapture, select_scores
from mmwsol.models.localizers.grad_capture import model_logits
from mmwsol.registry import MODELS

LOCALIZERS = ('GradCAM', 'GradCAMPlusPlus', 'PCS', 'BagCAMs')


def _model(topk_maps=0, num_classes=6, seed=0):
    """A 3-stage TinyWSOLNet + GAP + linear with non-trivial BN statistics
    (stage 0 and stage 1 are intermediate layers)."""
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(4, 6, 8),
                stage_blocks=(1, 1, 1),
                pool_strides=(2, 1, 1),
                out_indices=(2,),
            ),
            head=dict(type='CAMHead', num_classes=num_classes, in_channels=8),
            localizer=None,
            topk_maps=topk_maps,
        )
    )
    model.init_weights()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        model.head.fc.weight.normal_()
        model.head.fc.bias.uniform_(2.0, 3.0)  # positive logits for 'log'
    return model.eval()


def _loop_gradients(model, x, layer, targets, score, guided):
    """The straightforward reference, without LayerGradCapture: a forward
    hook swaps the layer's output for a leaf, the model runs once with
    autograd in eval mode, and each target column gets its own backward
    pass. Guided ReLU: a tensor hook clamps the gradient at every ReLU
    output."""
    module = model.get_submodule(layer)
    store = {}

    def swap(mod, args, out):
        leaf = (out[-1] if isinstance(out, tuple) else out).detach()
        store['z'] = leaf.requires_grad_(True)
        clone = leaf.clone()
        return (*out[:-1], clone) if isinstance(out, tuple) else clone

    def guide(mod, args, out):
        if out.requires_grad:
            out.register_hook(lambda g: g.clamp(min=0))

    handles = [module.register_forward_hook(swap)]
    if guided:
        handles += [
            m.register_forward_hook(guide)
            for m in model.modules()
            if isinstance(m, torch.nn.ReLU)
        ]
    training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits = model.head(model.extract_feat(x))
            scores = select_scores(logits, targets, score)
            grads = [
                torch.autograd.grad(
                    scores[:, t].sum(), store['z'], retain_graph=True
                )[0]
                for t in range(targets.shape[1])
            ]
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    return store['z'].detach(), torch.stack(grads, dim=1), scores.detach()


def _reference_maps(loc, model, x, targets):
    acts, grads, scores = _loop_gradients(
        model, x, loc.layer, targets, loc.score, loc.guided_relu
    )
    return loc.maps_from_gradients(acts, grads, scores)


@pytest.mark.parametrize('guided', [False, True])
@pytest.mark.parametrize('score', ['logit', 'log', 'softmax'])
def test_batched_gradients_equal_the_per_target_loop(score, guided):
    model = _model()
    x = torch.randn(3, 3, 16, 12)
    targets = torch.tensor([[0, 5, 2, 2], [1, 1, 3, 4], [5, 0, 4, 3]])
    layer = 'backbone.stages.0'
    ref_acts, ref_grads, _ = _loop_gradients(
        model, x, layer, targets, score, guided
    )
    with LayerGradCapture(model, layer, guided) as capture:
        logits = capture.run(lambda: model_logits(model, x))
        grads = capture.gradients(select_scores(logits, targets, score))
        acts = capture.activation
    assert grads.shape == (3, 4, *acts.shape[1:])
    assert torch.allclose(acts, ref_acts, atol=1e-6)
    assert torch.allclose(grads, ref_grads, rtol=1e-4, atol=1e-7)
    assert ref_grads.abs().amax() > 1e-3  # not all zeros


def test_all_targets_take_one_backward_pass():
    """A hook on the logits runs once per backward pass through them."""
    model = _model()
    x = torch.randn(2, 3, 16, 12)
    calls = []
    with LayerGradCapture(model, 'backbone.stages.1') as capture:
        logits = capture.run(lambda: model_logits(model, x))
        logits.register_hook(lambda g: calls.append(1))
        targets = torch.tensor([[0, 1, 2, 3, 4], [5, 4, 3, 2, 1]])
        grads = capture.gradients(select_scores(logits, targets))
    assert grads.shape[:2] == (2, 5)
    assert calls == [1]  # one batched pass (the loop: 5)


@pytest.mark.parametrize('train_mode', [False, True])
@pytest.mark.parametrize('name', LOCALIZERS)
def test_localizer_maps_equal_the_per_target_loop(name, train_mode):
    """Raw maps of T targets at once = the map function applied to the
    loop's gradients, whatever ``targets_per_pass``; BN statistics and
    train mode are untouched and the maps do not depend on the batch."""
    model = _model(seed=1).train(train_mode)
    x = torch.randn(4, 3, 16, 12)
    targets = torch.tensor([[0, 1, 2], [3, 3, 5], [4, 0, 1], [2, 5, 0]])
    bn = [
        m.running_mean.clone()
        for m in model.modules()
        if hasattr(m, 'running_mean')
    ]
    for layer in ('backbone.stages.0', 'backbone.stages.1', 'backbone'):
        ref = _reference_maps(
            MODELS.build(dict(type=name, layer=layer)), model, x, targets
        )
        assert ref.abs().amax() > 0
        for per_pass in (None, 1, 2):
            loc = MODELS.build(
                dict(type=name, layer=layer, targets_per_pass=per_pass)
            )
            raw = loc(model, x, None, None, targets)
            assert torch.allclose(raw, ref, rtol=1e-4, atol=1e-6), per_pass
        alone = loc(model, x[1:2], None, None, targets[1:2])
        assert torch.allclose(alone, ref[1:2], rtol=1e-4, atol=1e-6)
    assert model.training == train_mode
    assert all(p.grad is None for p in model.parameters())
    after = [
        m.running_mean for m in model.modules() if hasattr(m, 'running_mean')
    ]
    assert all(torch.equal(a, b) for a, b in zip(bn, after))


@pytest.mark.parametrize('name', LOCALIZERS)
def test_predict_runs_the_model_once(name):
    """``predict`` takes scores and maps from one forward pass (the old code
    ran the backbone twice), with the values of separate computations."""
    model = _model(topk_maps=2)
    model.localizer = MODELS.build(dict(type=name, layer='backbone.stages.1'))
    calls = []
    handle = model.backbone.register_forward_hook(
        lambda *args: calls.append(1)
    )
    x = torch.randn(3, 3, 16, 12)
    gt = [4, 0, 2]
    try:
        with torch.no_grad():
            out = model.predict(x, [DataSample().set_gt_label(i) for i in gt])
    finally:
        handle.remove()
    assert len(calls) == 1
    with torch.no_grad():
        logits = model(x, mode='tensor')
    top2 = logits.topk(2, dim=1).indices
    targets = torch.cat([torch.tensor(gt)[:, None], top2], dim=1)
    maps = model.localizer.localize(model, x, None, logits, targets)
    for i, s in enumerate(out):
        assert torch.allclose(s.pred_score, logits[i].softmax(0), atol=1e-6)
        assert torch.equal(s.pred_cam_labels, top2[i])
        assert torch.allclose(s.gt_cam, maps[i, 0], atol=1e-5)
        assert torch.allclose(s.pred_cams, maps[i, 1:], atol=1e-5)
    assert not model.localizer._shared  # the shared pass is closed
    for m in model.modules():
        assert not m._forward_hooks


def test_predict_without_maps_skips_the_localizer():
    """No GT and ``topk_maps=0``: the localizer is not called, and the
    model attribute switches the top-k maps on."""
    model = _model(topk_maps=0)
    model.localizer = MODELS.build(
        dict(type='GradCAM', layer='backbone.stages.1')
    )
    calls = []
    model.localizer.register_forward_hook(lambda *args: calls.append(1))
    x = torch.randn(2, 3, 16, 12)
    with torch.no_grad():
        out = model.predict(x)
    assert calls == [] and 'pred_cams' not in out[0]
    with torch.no_grad():
        out = model.predict(x, [DataSample().set_gt_label(1)] * 2)
    assert calls == [1] and 'gt_cam' in out[0] and 'pred_cams' not in out[0]
    model.topk_maps = 3
    with torch.no_grad():
        out = model.predict(x)
    assert out[0].pred_cams.shape == (3, 16, 12)


def test_shared_forward_checks_the_batch_and_the_argument():
    model = _model()
    loc = MODELS.build(dict(type='PCS', layer='backbone.stages.1'))
    x = torch.randn(2, 3, 16, 12)
    with loc.shared_forward(model, x) as (feats, logits):
        assert not logits.requires_grad and feats[-1].shape[0] == 2
        with pytest.raises(ValueError, match='same batch'):
            loc(model, x[:1], None, None, torch.tensor([[0]]))
    with pytest.raises(ValueError, match='targets_per_pass'):
        MODELS.build(dict(type='PCS', layer='backbone', targets_per_pass=0))
