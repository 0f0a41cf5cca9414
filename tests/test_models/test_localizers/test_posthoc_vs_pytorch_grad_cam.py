"""Our post-hoc CAMs against pytorch-grad-cam (PyPI ``grad-cam``), value
for value, on the same model, layer and target (issue #14.3).

pytorch-grad-cam's pipeline: ReLU of the map, min-max per image, OpenCV
bilinear resize to the input, min-max again. Ours: ReLU, bilinear resize
(half-pixel centres, as OpenCV), min-max: the same maps, because min-max
commutes with an affine resize. Where the definitions differ, our options
select theirs (named in each case). See docs/posthoc_cams.md.
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope
from pytorch_grad_cam import (
    GradCAM as PGCGradCAM,
)
from pytorch_grad_cam import (
    GradCAMPlusPlus as PGCGradCAMPlusPlus,
)
from pytorch_grad_cam import (
    LayerCAM as PGCLayerCAM,
)
from pytorch_grad_cam import (
    ScoreCAM as PGCScoreCAM,
)
from pytorch_grad_cam import (
    XGradCAM as PGCXGradCAM,
)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from mmwsol.models.localizers.grad_cam import GradCAM
from mmwsol.models.localizers.grad_cam_plus_plus import GradCAMPlusPlus
from mmwsol.models.localizers.layer_cam import LayerCAM
from mmwsol.models.localizers.score_cam import ScoreCAM
from mmwsol.models.localizers.xgrad_cam import XGradCAM
from mmwsol.registry import MODELS

# ours (with the options giving pytorch-grad-cam's definition), theirs
PAIRS = {
    'LayerCAM': (lambda layer: LayerCAM(layer), PGCLayerCAM),
    'XGradCAM': (lambda layer: XGradCAM(layer), PGCXGradCAM),
    'GradCAM': (lambda layer: GradCAM(layer), PGCGradCAM),
    'GradCAMPlusPlus': (
        lambda layer: GradCAMPlusPlus(layer, variant='paper', eps=1e-6),
        PGCGradCAMPlusPlus,
    ),
    'ScoreCAM': (
        lambda layer: ScoreCAM(
            layer,
            score='logit',
            channel_softmax=True,
            skip_constant=False,
            align_corners=True,
            batch_size=5,
        ),
        PGCScoreCAM,
    ),
}


class _Logits(nn.Module):
    """The classifier as pytorch-grad-cam calls it: ``model(x) -> logits``
    (the same module tree, so that layers are shared)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def _tiny_net(pool_strides):
    init_default_scope('mmwsol')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(6, 8),
                stage_blocks=(1, 1),
                pool_strides=pool_strides,
                out_indices=(1,),
            ),
            head=dict(type='CAMHead', num_classes=4, in_channels=8),
        )
    )
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
            if isinstance(m, nn.Conv2d):  # signed outputs before the ReLUs
                m.bias = nn.Parameter(torch.randn(m.out_channels) * 0.1)
        model.head.fc.weight.normal_()
        model.head.fc.bias.normal_()
    return model.eval()


def _compare(model, module, layer, x, labels, name, reshape=None):
    ours_fn, theirs_cls = PAIRS[name]
    targets = torch.tensor(labels)[:, None]
    with torch.no_grad():
        logits = model(x, mode='tensor')
    ours = ours_fn(layer).localize(model, x, None, logits, targets)[:, 0]
    cam = theirs_cls(_Logits(model), [module], reshape_transform=reshape)
    if name == 'ScoreCAM':
        cam.batch_size = 3
    theirs = cam(x, [ClassifierOutputTarget(k) for k in labels])
    assert theirs.shape == tuple(ours.shape)
    # every map non-trivial, so that the comparison means something
    assert (ours.flatten(1).max(dim=1).values == 1).all()
    np.testing.assert_allclose(ours.numpy(), theirs, atol=2e-5)


@pytest.mark.parametrize('name', sorted(PAIRS))
@pytest.mark.parametrize('pool_strides', [(1, 1), (2, 1)])
def test_against_pytorch_grad_cam_on_a_cnn_layer(name, pool_strides):
    """Stage 0 at the input size (no resize) and at half of it (their
    OpenCV resize against ours)."""
    model = _tiny_net(pool_strides)
    x = torch.randn(3, 3, 16, 12)
    _compare(
        model,
        model.backbone.stages[0],
        'backbone.stages.0',
        x,
        [0, 3, 1],
        name,
    )


def _deit_tokens_to_map(tokens: torch.Tensor) -> torch.Tensor:
    """pytorch-grad-cam's reshape_transform for DeiT (2 extra tokens, a
    4 x 4 patch grid at 64 px): written out by hand."""
    n, _, c = tokens.shape
    return tokens[:, 2:].reshape(n, 4, 4, c).permute(0, 3, 1, 2)


@pytest.mark.parametrize('name', ['LayerCAM', 'XGradCAM', 'GradCAM'])
def test_against_pytorch_grad_cam_on_a_transformer_block(name):
    init_default_scope('mmwsol')
    torch.manual_seed(0)
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
        )
    )
    model.init_weights()
    with torch.no_grad():
        model.head.fc.weight.normal_()
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    _compare(
        model,
        model.backbone.layers[0],
        'backbone.layers.0',
        x,
        [2, 0],
        name,
        reshape=_deit_tokens_to_map,
    )


def test_our_defaults_that_differ_from_pytorch_grad_cam():
    """The options named in docs/posthoc_cams.md matter: ScoreCAM's
    defaults (softmax probability, no channel softmax, align_corners=False)
    and GradCAM++'s ``variant='reference'`` give other maps."""
    model = _tiny_net((2, 1))
    x = torch.randn(3, 3, 16, 12)
    labels = [0, 3, 1]
    targets = torch.tensor(labels)[:, None]
    with torch.no_grad():
        logits = model(x, mode='tensor')
    layer, module = 'backbone.stages.0', model.backbone.stages[0]
    for ours, theirs_cls in (
        (ScoreCAM(layer), PGCScoreCAM),
        (GradCAMPlusPlus(layer, variant='reference'), PGCGradCAMPlusPlus),
    ):
        maps = ours.localize(model, x, None, logits, targets)[:, 0]
        cam = theirs_cls(_Logits(model), [module])
        theirs = cam(x, [ClassifierOutputTarget(k) for k in labels])
        assert np.abs(maps.numpy() - theirs).max() > 0.05
