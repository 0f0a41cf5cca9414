"""SPA's RAM head: architecture, maps usable by CAM / CCAM, RA loss."""

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.models.heads import RAMHead
from mmwsol.models.localizers import normalize_maps
from mmwsol.models.losses import restricted_activation_loss
from mmwsol.registry import MODELS

RA = dict(type='RestrictedActivationLoss', tau=0.1, sigma=0.2, loss_weight=0.5)


def _head(**kwargs):
    cfg = dict(type='RAMHead', num_classes=5, in_channels=8, mid_channels=16)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    # a non-zero bias, to check that it only shifts the maps
    torch.nn.init.normal_(head.classifier.bias, std=1.0)
    return head


def _samples(labels):
    return [DataSample().set_gt_label(int(t)) for t in labels]


def test_architecture_and_logits():
    head = _head()
    convs = [m for m in head.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (8, 16, (3, 3)),
        (16, 16, (3, 3)),
        (16, 5, (1, 1)),
    ]
    x = torch.randn(2, 8, 6, 7)
    maps = head.class_maps((torch.randn(2, 3, 6, 7), x))  # uses feats[-1]
    assert maps.shape == (2, 5, 6, 7)
    # the class maps are the 1x1 conv of the features
    ref = F.conv2d(
        head.cam_features((x,)), head.classifier.weight, head.classifier.bias
    )
    assert torch.allclose(maps, ref, atol=1e-5)
    logits = head((x,))
    assert torch.allclose(logits, maps.mean(dim=(2, 3)), atol=1e-6)
    # default: 1024 channels, the paper's head
    assert MODELS.build(
        dict(type='RAMHead', num_classes=3, in_channels=4)
    ).class_weights().shape == (3, 1024)


def test_cam_is_class_channel_minus_bias():
    head = _head()
    x = torch.randn(2, 8, 5, 5)
    feats = (x,)
    cam = torch.einsum(
        'kc,nchw->nkhw', head.class_weights(), head.cam_features(feats)
    )
    maps = head.class_maps(feats)
    bias = head.classifier.bias.view(1, -1, 1, 1)
    assert torch.allclose(cam, maps - bias, atol=1e-5)
    # and after min-max normalisation, the bias is gone
    assert torch.allclose(normalize_maps(cam), normalize_maps(maps), atol=1e-5)


@pytest.mark.parametrize(
    'localizer',
    [
        dict(type='CAM'),
        dict(type='CCAM', combination=dict(type='TopBottom', top=1, bottom=0)),
        dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
    ],
)
def test_classifier_with_ram_head_localizes(localizer):
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(4, 8, 8, 8),
                out_indices=(2, 3),
            ),
            head=dict(
                type='RAMHead', num_classes=5, in_channels=8, mid_channels=16
            ),
            localizer=localizer,
            topk_maps=2,
        )
    ).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model.predict(x, _samples([1, 3]))
        feats = model.extract_feat(x)
        class_maps = model.head.class_maps(feats)
    assert out[0].gt_cam.shape == (32, 32)
    assert out[0].pred_cams.shape == (2, 32, 32)
    if (
        localizer['type'] == 'CAM'
        or localizer.get('combination', {}).get('type') == 'TopBottom'
    ):
        # the GT map is the normalised, upsampled class channel
        from mmwsol.models.localizers import resize_maps

        ref = normalize_maps(
            resize_maps(class_maps[[0, 1], [1, 3]][:, None], (32, 32))
        )
        assert torch.allclose(out[0].gt_cam, ref[0, 0], atol=1e-4)
        assert torch.allclose(out[1].gt_cam, ref[1, 0], atol=1e-4)


def test_loss_without_ram_is_cross_entropy():
    head = _head()
    x = torch.randn(3, 8, 4, 4)
    losses = head.loss((x,), _samples([0, 2, 4]))
    assert set(losses) == {'loss'}
    expect = F.cross_entropy(head((x,)), torch.tensor([0, 2, 4]))
    assert losses['loss'].item() == pytest.approx(expect.item(), rel=1e-5)
    assert not head.ra_active


def test_ra_loss_follows_epoch():
    head = _head(ra_loss=RA, ram_start=2)
    x = torch.randn(3, 8, 4, 4)
    samples = _samples([0, 2, 4])
    expect = 0.5 * restricted_activation_loss(
        head.class_maps((x,)), torch.tensor([0, 2, 4]), 0.1, 0.2
    )
    for epoch, active in [
        (0, False),
        (1, False),
        (2, True),
        (5, True),
        (1, False),
    ]:
        head.set_epoch(epoch)
        assert head.ra_active is active
        losses = head.loss((x,), samples)
        assert set(losses) == {'loss_cls', 'loss_ra'}
        if active:
            assert losses['loss_ra'].item() == pytest.approx(
                expect.item(), rel=1e-5
            )
            assert losses['loss_ra'].requires_grad
        else:
            assert losses['loss_ra'].item() == 0.0


def test_ra_loss_without_epoch():
    x = torch.randn(2, 8, 4, 4)
    # ram_start 0: on without a runner
    head = _head(ra_loss=RA)
    assert head.ra_active
    assert head.loss((x,), _samples([0, 1]))['loss_ra'].item() > 0
    # ram_start > 0 and no epoch: off, with a warning naming the hook
    head = _head(ra_loss=RA, ram_start=3)
    losses = head.loss((x,), _samples([0, 1]))
    assert losses['loss_ra'].item() == 0.0 and head._warned_no_epoch


def test_ra_loss_with_mixed_labels():
    head = _head(ra_loss=RA)
    x = torch.randn(2, 8, 4, 4)
    samples = [
        DataSample().set_gt_score(torch.tensor([0.1, 0.7, 0.2, 0.0, 0.0])),
        DataSample().set_gt_score(torch.tensor([0.0, 0.0, 0.4, 0.0, 0.6])),
    ]
    losses = head.loss((x,), samples)
    expect = 0.5 * restricted_activation_loss(
        head.class_maps((x,)), torch.tensor([1, 4]), 0.1, 0.2
    )
    assert losses['loss_ra'].item() == pytest.approx(expect.item(), rel=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        RAMHead(num_classes=0, in_channels=4)
    with pytest.raises(ValueError):
        RAMHead(num_classes=3, in_channels=4, ram_start=-1)
    with pytest.raises(ValueError, match=r'\(N, C, H, W\) feature map'):
        _head().cam_features((torch.randn(2, 8),))


@pytest.mark.parametrize(
    'shape, option',
    [
        ((2, 8), 'gap_before_final_norm=False'),  # pooled by the backbone
        ((2, 8), "out_type='featmap'"),
        ((2, 10, 8), 'tokens_to_map'),  # a token sequence
        ((2, 10, 8), "out_type='featmap'"),
    ],
)
def test_non_spatial_input_names_the_option(shape, option):
    # the same advice as CAMHead's, under RAMHead's name
    with pytest.raises(ValueError) as err:
        _head().cam_features((torch.randn(*shape),))
    message = str(err.value)
    assert message.startswith('RAMHead needs a (N, C, H, W) feature map')
    assert str(shape) in message and option in message
