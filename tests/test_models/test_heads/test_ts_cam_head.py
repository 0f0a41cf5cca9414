"""TSCAMHead: 3x3 convolution to class maps, GAP logits (TS-CAM)."""

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.models.heads import TSCAMHead
from mmwsol.models.localizers import CAM
from mmwsol.registry import MODELS


def _conv3x3_by_hand(x, weight, bias):
    """Zero-padded 3x3 cross-correlation written as loops."""
    n, c, h, w = x.shape
    padded = F.pad(x, (1, 1, 1, 1))
    out = torch.zeros(n, weight.shape[0], h, w)
    for i in range(h):
        for j in range(w):
            patch = padded[:, :, i : i + 3, j : j + 3]  # (n, c, 3, 3)
            out[:, :, i, j] = (
                torch.einsum('ncab,kcab->nk', patch, weight) + bias
            )
    return out


def test_logits_are_gap_of_the_3x3_conv_maps():
    torch.manual_seed(0)
    head = TSCAMHead(num_classes=4, in_channels=5)
    x = torch.randn(2, 5, 3, 4)  # non-square grid
    maps = _conv3x3_by_hand(x, head.conv.weight, head.conv.bias)
    with torch.no_grad():
        torch.testing.assert_close(head.cam_features((x,)), maps)
        torch.testing.assert_close(head((x,)), maps.mean(dim=(2, 3)))


def test_cam_localizer_gives_the_semantic_maps():
    torch.manual_seed(0)
    head = TSCAMHead(num_classes=3, in_channels=4)

    class Model(torch.nn.Module):
        pass

    model = Model()
    model.head = head
    x = torch.randn(2, 4, 5, 5)
    targets = torch.tensor([[2, 0], [1, 1]])
    with torch.no_grad():
        maps = CAM(with_bias=True)(model, None, (x,), None, targets)
        sem = head.cam_features((x,))
    for i in range(2):
        for t in range(2):
            torch.testing.assert_close(maps[i, t], sem[i, targets[i, t]])


def test_head_errors_name_the_fix():
    head = TSCAMHead(num_classes=3, in_channels=4)
    with pytest.raises(ValueError, match="out_type='featmap'"):
        head.cam_features((torch.randn(2, 10, 4),))
    with pytest.raises(ValueError, match='in_channels'):
        head.cam_features((torch.randn(2, 6, 3, 3),))
    with pytest.raises(ValueError, match='positive'):
        TSCAMHead(num_classes=0, in_channels=4)


def test_loss_trains_the_conv():
    init_default_scope('mmwsol')
    head = MODELS.build(dict(type='TSCAMHead', num_classes=3, in_channels=4))
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    losses = head.loss((torch.randn(2, 4, 3, 3),), samples)
    losses['loss'].backward()
    assert head.conv.weight.grad is not None
    assert head.conv.weight.grad.abs().sum() > 0
