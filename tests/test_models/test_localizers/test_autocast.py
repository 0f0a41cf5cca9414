"""Every registered localizer computes its maps in float32 whatever the
autocast state: under CPU autocast (bfloat16, and float16 where the CPU
supports it) its maps equal the float32 maps, given the same features."""

import pytest
import torch
from mmpretrain.structures import DataSample

from mmwsol.models.localizers import BaseLocalizer
from mmwsol.registry import MODELS

# every registered localizer, with a config that runs on the models below
CONFIGS = {
    'CAM': dict(type='CAM'),
    'CCAM': dict(type='CCAM'),
    'SCG': dict(type='SCG', coarse=dict(type='CAM'), feat_indices=(0, 1)),
    'GradCAM': dict(type='GradCAM', layer='backbone.stages.1'),
    'GradCAMPlusPlus': dict(type='GradCAMPlusPlus', layer='backbone.stages.1'),
    'PCS': dict(type='PCS', layer='backbone.stages.1'),
    'BagCAMs': dict(type='BagCAMs', layer='backbone.stages.1'),
    'LayerCAM': dict(type='LayerCAM', layer='backbone.stages.1'),
    'XGradCAM': dict(type='XGradCAM', layer='backbone.stages.1'),
    'ScoreCAM': dict(type='ScoreCAM', layer='backbone.stages.1'),
    'SmoothGradCAMpp': dict(
        type='SmoothGradCAMpp', layer='backbone.stages.1', n_samples=2
    ),
}


def _autocast_dtypes():
    dtypes = [torch.bfloat16]
    try:
        with torch.autocast('cpu', dtype=torch.float16):
            a = torch.ones(2, 2)
            if (a @ a).dtype == torch.float16:
                dtypes.append(torch.float16)
    except (RuntimeError, ValueError):  # CPU fp16 autocast not supported
        pass
    return dtypes


def _model(head='CAMHead', seed=0):
    """TinyWSOLNet (3 small stages, 8x8 maps at 32x32) + a CAM or RAM head,
    random weights, returning stages 1 and 2 (same size, for SCG)."""
    torch.manual_seed(seed)
    head_cfg = (
        dict(type='CAMHead', num_classes=5, in_channels=16)
        if head == 'CAMHead'
        else dict(
            type='RAMHead', num_classes=5, in_channels=16, mid_channels=12
        )
    )
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(8, 12, 16),
                stage_blocks=(1, 1, 1),
                pool_strides=(2, 2, 1),
                out_indices=(1, 2),
            ),
            head=head_cfg,
            localizer=dict(type='CAM'),
            topk_maps=2,
        )
    )
    model.init_weights()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        for p in model.head.parameters():
            p.normal_(0, 0.5)
    return model.eval()


def _setup(head='CAMHead'):
    model = _model(head)
    x = torch.randn(3, 3, 32, 32)
    targets = torch.tensor([[0, 4], [2, 2], [3, 1]])
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
    return model, x, feats, logits, targets


# localizers that need their own head (and backbone), with that model
HEAD_SPECIFIC = {
    'ACoLCAM': dict(
        backbone=dict(
            type='TinyWSOLNet',
            stage_channels=(8, 12, 16),
            stage_blocks=(1, 1, 1),
            pool_strides=(2, 2, 1),
            out_indices=(2,),
        ),
        head=dict(
            type='ACoLHead', num_classes=5, in_channels=16, mid_channels=12
        ),
        size=32,
    ),
    'TSCAM': dict(
        backbone=dict(
            type='VisionTransformer',
            arch=dict(
                embed_dims=12,
                num_layers=2,
                num_heads=3,
                feedforward_channels=24,
            ),
            img_size=48,
            patch_size=16,
        ),
        head=dict(type='TSCAMHead', num_classes=5, in_channels=12),
        size=48,
    ),
}


def test_every_registered_localizer_is_covered():
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseLocalizer)
    }
    assert registered == set(CONFIGS) | set(HEAD_SPECIFIC)


@pytest.mark.parametrize('dtype', _autocast_dtypes())
@pytest.mark.parametrize('name', sorted(HEAD_SPECIFIC))
def test_head_specific_maps_under_autocast_equal_float32(name, dtype):
    spec = HEAD_SPECIFIC[name]
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=spec['backbone'],
            head=spec['head'],
            localizer=dict(type=name),
        )
    )
    model.init_weights()
    model.eval()
    x = torch.randn(2, 3, spec['size'], spec['size'])
    targets = torch.tensor([[1, 4], [0, 2]])
    loc = model.localizer
    with torch.no_grad():
        feats = model.extract_feat(x)
        logits = model.head(feats)
        ref = loc.localize(model, x, feats, logits, targets)
        with torch.autocast('cpu', dtype=dtype):
            amp = loc.localize(model, x, feats, logits, targets)
    assert amp.dtype == torch.float32
    assert ref.max() > 0  # non-trivial maps
    assert (amp - ref).abs().max() <= 1e-5


@pytest.mark.parametrize('dtype', _autocast_dtypes())
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_maps_under_autocast_equal_float32(name, dtype):
    model, x, feats, logits, targets = _setup()
    loc = MODELS.build(CONFIGS[name])
    with torch.no_grad():
        ref = loc.localize(model, x, feats, logits, targets)
        with torch.autocast('cpu', dtype=dtype):
            amp = loc.localize(model, x, feats, logits, targets)
            # the autocast state is restored after the localizer
            assert torch.is_autocast_enabled('cpu')
            assert torch.get_autocast_dtype('cpu') == dtype
    assert amp.dtype == torch.float32
    assert ref.max() > 0  # non-trivial maps
    assert (amp - ref).abs().max() <= 1e-5


@pytest.mark.parametrize('dtype', _autocast_dtypes())
@pytest.mark.parametrize(
    'coarse', [dict(type='CAM'), dict(type='CAM', with_bias=True, relu=True)]
)
def test_scg_on_the_ram_head_under_autocast(coarse, dtype):
    """SPA's head runs its 3x3 convolutions inside the localizer (for its
    CAM features), also in float32; the authors' coarse map alike."""
    model, x, feats, logits, targets = _setup('RAMHead')
    loc = MODELS.build(dict(type='SCG', coarse=coarse, feat_indices=(0, 1)))
    with torch.no_grad():
        ref = loc.localize(model, x, feats, logits, targets)
        with torch.autocast('cpu', dtype=dtype):
            amp = loc.localize(model, x, feats, logits, targets)
    assert ref.max() > 0
    assert (amp - ref).abs().max() <= 1e-5


@pytest.mark.parametrize('name', ['CAM', 'CCAM', 'SCG'])
def test_half_precision_features_are_computed_in_float32(name):
    """Features and logits of an fp16 backbone are cast, not used as is."""
    model, x, feats, logits, targets = _setup()
    loc = MODELS.build(CONFIGS[name])
    half = tuple(f.to(torch.bfloat16) for f in feats)
    with torch.no_grad():
        ref = loc.localize(
            model,
            x,
            tuple(f.float() for f in half),
            logits.to(torch.bfloat16).float(),
            targets,
        )
        out = loc.localize(model, x, half, logits.to(torch.bfloat16), targets)
    assert (out - ref).abs().max() <= 1e-5


def test_predict_under_autocast_uses_float32_gradients():
    """In ``predict`` under autocast, a gradient localizer re-runs the model
    in float32: its maps equal those of a float32 ``predict``."""
    model, x, _, _, _ = _setup()
    model.localizer = MODELS.build(CONFIGS['BagCAMs'])
    samples = [DataSample().set_gt_label(i) for i in (0, 2, 3)]
    with torch.no_grad():
        ref = model.predict(x, [s.clone() for s in samples])
        with torch.autocast('cpu', dtype=torch.bfloat16):
            amp = model.predict(x, [s.clone() for s in samples])
    for a, b in zip(amp, ref):
        assert (a.gt_cam - b.gt_cam).abs().max() <= 1e-5
