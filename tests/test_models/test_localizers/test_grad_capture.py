import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmwsol.models.localizers import (
    LayerGradCapture,
    capture_layer_gradients,
    select_scores,
)


class _GapNet(nn.Module):
    """conv -> BN -> ReLU(inplace) -> [1x1 conv 'mix' -> ReLU 'act'] -> GAP
    -> linear, with ``extract_feat``/``head`` like mmpretrain classifiers."""

    def __init__(self, mix=False, inplace=True, c=4, k=3):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=inplace)
        self.mix = nn.Conv2d(c, c, 1, bias=False) if mix else nn.Identity()
        self.act = nn.ReLU(inplace=inplace) if mix else nn.Identity()
        self.fc = nn.Linear(c, k)

    def extract_feat(self, x):
        return self.act(self.mix(self.relu(self.bn(self.conv(x)))))

    def head(self, z):
        return self.fc(z.mean(dim=(2, 3)))

    def forward(self, x):
        return self.head(self.extract_feat(x))


def _net(**kwargs):
    torch.manual_seed(0)
    net = _GapNet(**kwargs)
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
    return net.eval()


def _no_hooks(model):
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
        assert not m._backward_hooks
        assert not getattr(m, '_backward_pre_hooks', {})


def test_select_scores():
    logits = torch.tensor([[1.0, -2.0, 3.0], [0.5, 2.0, -1.0]])
    targets = torch.tensor([[2, 1], [1, 0]])
    assert torch.equal(
        select_scores(logits, targets), torch.tensor([[3.0, -2.0], [2.0, 0.5]])
    )
    sm = select_scores(logits, targets, 'softmax')
    assert torch.allclose(sm, logits.softmax(1).gather(1, targets))
    lsm = select_scores(logits, targets, 'log_softmax')
    assert torch.allclose(lsm, sm.log())
    with pytest.raises(ValueError, match='score'):
        select_scores(logits, targets, 'prob')
    with pytest.raises(ValueError, match='targets'):
        select_scores(logits, targets[0])


def test_activation_and_analytic_gradient_gap_linear():
    net = _net()
    x = torch.randn(2, 3, 5, 6)
    targets = torch.tensor([[0, 2], [1, 1]])
    acts, grads, scores = capture_layer_gradients(net, x, 'relu', targets)
    with torch.no_grad():
        feats = net.extract_feat(x)
        logits = net(x)
    assert torch.allclose(acts, feats)
    assert torch.allclose(scores, logits.gather(1, targets))
    # GAP + linear: d s_k / d Z_{c,i} = W[k, c] / hw at every position
    w = net.fc.weight[targets]  # (N, T, C)
    expected = (w / 30.0)[..., None, None].expand_as(grads)
    assert torch.allclose(grads, expected, atol=1e-7)
    # log of the logit: the gradient is divided by the logit (any sign)
    _, glog, _ = capture_layer_gradients(net, x, 'relu', targets, 'log')
    s = logits.gather(1, targets)[..., None, None, None]
    assert torch.allclose(glog, expected / s, atol=1e-6)


def test_guided_relu_and_inplace_relu_after_layer():
    """Capture the pre-ReLU output of a layer followed by in-place ReLUs;
    guided backprop through the 'act' ReLU matches the analytic value."""
    net = _net(mix=True, inplace=True)
    x = torch.randn(3, 3, 4, 4)
    targets = torch.tensor([[0], [1], [2]])
    acts, grads, _ = capture_layer_gradients(net, x, 'bn', targets)
    with torch.no_grad():
        pre = net.bn(net.conv(x))
        mixed = net.mix(F.relu(pre))
    # the in-place ReLU after 'bn' did not overwrite the captured tensor
    assert (acts < 0).any() and torch.allclose(acts, pre)
    # plain gradient, by hand: Z -relu-> mix (A) -relu-> GAP -> W
    a = net.mix.weight[:, :, 0, 0]  # (O, C)
    w = net.fc.weight[targets[:, 0]] / 16.0  # (N, O)

    def by_hand(w):
        g_mixed = w[:, :, None, None] * (mixed > 0)  # (N, O, h, w)
        g_relu = torch.einsum('oc,nohw->nchw', a, g_mixed)
        return g_relu * (pre > 0)

    assert torch.allclose(grads[:, 0], by_hand(w), atol=1e-6)
    # guided: negative gradients stop at every ReLU on the way back
    _, guided, _ = capture_layer_gradients(
        net, x, 'bn', targets, guided_relu=True
    )
    g_mixed = w.clamp(min=0)[:, :, None, None] * (mixed > 0)
    g_relu = torch.einsum('oc,nohw->nchw', a, g_mixed).clamp(min=0)
    assert torch.allclose(guided[:, 0], g_relu * (pre > 0), atol=1e-6)
    assert not torch.allclose(guided, grads)
    _no_hooks(net)
    # same numbers without in-place ReLUs
    net2 = _net(mix=True, inplace=False)
    _, guided2, _ = capture_layer_gradients(
        net2, x, 'bn', targets, guided_relu=True
    )
    assert torch.allclose(guided, guided2, atol=1e-6)


def test_no_leaked_state_and_modes_restored():
    net = _net(mix=True)
    net.train()
    net.bn.eval()  # mixed modes must come back exactly
    modes = {n: m.training for n, m in net.named_modules()}
    x = torch.randn(2, 3, 4, 4)
    targets = torch.tensor([[0], [1]])
    for grad_mode in (False, True):
        with torch.set_grad_enabled(grad_mode):
            capture_layer_gradients(net, x, 'relu', targets, 'log', True)
            assert torch.is_grad_enabled() == grad_mode
    assert {n: m.training for n, m in net.named_modules()} == modes
    assert all(p.grad is None for p in net.parameters())
    _no_hooks(net)
    # errors inside the block leave nothing behind either
    with torch.no_grad():
        with pytest.raises(ZeroDivisionError):
            with LayerGradCapture(net, 'relu', guided_relu=True) as cap:
                cap.run(lambda: net(x))
                assert torch.is_grad_enabled() and not net.training
                1 / 0
        assert not torch.is_grad_enabled()
    assert {n: m.training for n, m in net.named_modules()} == modes
    _no_hooks(net)


def test_errors():
    net = _net()
    x = torch.randn(1, 3, 4, 4)
    with pytest.raises(ValueError, match="no layer 'nope'"):
        LayerGradCapture(net, 'nope')
    # a layer used twice in one forward pass
    with pytest.raises(RuntimeError, match='more than once'):
        with LayerGradCapture(net, 'relu') as cap:
            cap.run(lambda: net.head(net.relu(net.relu(net.conv(x)))))
    _no_hooks(net)
    # a layer that does not run
    with pytest.raises(RuntimeError, match='did not run'):
        with LayerGradCapture(net, 'relu') as cap:
            cap.run(lambda: net.head(net.conv(x)))
    with pytest.raises(RuntimeError, match='context manager'):
        LayerGradCapture(net, 'relu').run(lambda: net(x))
    _no_hooks(net)


def test_samples_are_independent_with_batchnorm_in_train_mode():
    net = _net(mix=True).train()
    x = torch.randn(4, 3, 4, 4)
    targets = torch.tensor([[0, 1], [1, 2], [2, 0], [0, 0]])
    acts, grads, _ = capture_layer_gradients(
        net, x, 'bn', targets, 'log', True
    )
    acts1, grads1, _ = capture_layer_gradients(
        net, x[2:3], 'bn', targets[2:3], 'log', True
    )
    assert torch.allclose(acts[2:3], acts1, atol=1e-6)
    assert torch.allclose(grads[2:3], grads1, atol=1e-6)
    assert net.training and net.bn.training
    assert net.bn.num_batches_tracked.item() == 0  # no running-stat update
