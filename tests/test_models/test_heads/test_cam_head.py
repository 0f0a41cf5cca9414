import pytest
import torch

from mmwsol.models.poolings import global_avg_pool
from mmwsol.registry import MODELS


def test_cam_head_logits_equal_gap_then_linear():
    head = MODELS.build(dict(type='CAMHead', num_classes=3, in_channels=4))
    head.init_weights()
    x = torch.randn(2, 4, 5, 6)
    logits = head((x,))
    expected = x.mean(dim=(2, 3)) @ head.fc.weight.t() + head.fc.bias
    assert torch.allclose(logits, expected, atol=1e-6)
    # GAP commutes with the classifier: mean of the CAM (+bias) = logit
    cams = torch.einsum('kc,nchw->nkhw', head.class_weights(), x)
    assert torch.allclose(
        cams.mean(dim=(2, 3)) + head.fc.bias, logits, atol=1e-5
    )


def test_global_avg_pool():
    x = torch.arange(8.0).view(1, 2, 2, 2)
    assert torch.equal(global_avg_pool(x), torch.tensor([[1.5, 5.5]]))
    with pytest.raises(ValueError):
        global_avg_pool(torch.zeros(2, 3))


def test_cam_head_loss_and_bad_input():
    from mmpretrain.structures import DataSample

    head = MODELS.build(dict(type='CAMHead', num_classes=3, in_channels=4))
    samples = [DataSample().set_gt_label(i) for i in (0, 2)]
    losses = head.loss((torch.randn(2, 4, 3, 3),), samples)
    assert losses['loss'].ndim == 0 and losses['loss'] > 0
    # the message names the backbone options that pool, not only a neck
    with pytest.raises(ValueError, match='gap_before_final_norm=False'):
        head((torch.randn(2, 4),))
    with pytest.raises(ValueError, match=r'\(2, 4\).*out_type'):
        head((torch.randn(2, 4),))
    with pytest.raises(ValueError, match='token sequence.*tokens_to_map'):
        head((torch.randn(2, 17, 4),))
    with pytest.raises(ValueError):
        MODELS.build(dict(type='CAMHead', num_classes=0, in_channels=4))
