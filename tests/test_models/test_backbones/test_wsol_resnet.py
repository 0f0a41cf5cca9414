"""The WSOL ResNet50 is mmpretrain's ResNet with other strides; these tests
check the strides the configs use."""

import pytest
import torch
from mmpretrain.models.backbones import ResNet

from mmwsol.registry import MODELS


@pytest.mark.parametrize(
    'strides, size', [((1, 2, 2, 1), 14), ((1, 2, 1, 1), 28)]
)
@torch.no_grad()
def test_resnet50_wsol_strides(strides, size):
    model = MODELS.build(
        dict(type='ResNet', depth=50, strides=strides, out_indices=(2, 3))
    )
    assert isinstance(model, ResNet)
    model.eval()
    layer3, layer4 = model(torch.rand(1, 3, 224, 224))
    # layer4 at stride 16 (14x14) or, with the large feature map, layer3
    # and layer4 both at stride 8 (28x28; BagCAMs uses this layer3).
    assert layer4.shape == (1, 2048, size, size)
    assert layer3.shape == (1, 1024, size, size)


def test_resnet50_keys_unchanged_by_strides():
    default = ResNet(depth=50).state_dict()
    wsol = ResNet(depth=50, strides=(1, 2, 1, 1)).state_dict()
    assert default.keys() == wsol.keys()
    assert all(default[k].shape == wsol[k].shape for k in default)
