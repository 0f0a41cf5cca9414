# VGG16-GAP with non-local blocks (NL-CCAM, Yang et al., WACV 2020): blocks at
# the low level (after pool2, pool3, pool4) and the high level (after
# conv5_3), inserted into the unchanged WSOL VGG16 by `InsertLayers`. Use it
# next to a CAM VGG16 config: `model = dict(backbone={{_base_.nl_vgg16}})`
# (`nl_low` / `nl_high` select one level for the Table 7 ablation).

# Activation of every VGG16 convolution (the 13 of `features` and conv6):
# `relu_act` (the community VGG16-GAP of configs/cam, the default here) or
# `leaky_act`, the authors' NL-CCAM network (Yangseung/NL-CCAM, model_cub.py:
# LeakyReLU(0.2) after each of the 13 convolutions; it has no conv6, its
# non-local blocks and linear classifier have no activation). Select it with
# `backbone=dict(backbone=dict(act_cfg={{_base_.leaky_act}}))`, as the
# `nl-ccam-leaky_*` configs do.
relu_act = dict(type='ReLU')
leaky_act = dict(type='LeakyReLU', negative_slope=0.2)

# mmpretrain VGG16 `features` indices: pool2 = 5, pool3 = 9, pool4 = 13,
# conv5_3 = 16 (then the identity in place of pool5, and the WSOL conv6).
nl_low = [
    dict(
        after='features.5',
        module=dict(type='NonLocalBlock2d', in_channels=128, reduction=8),
    ),
    dict(
        after='features.9',
        module=dict(type='NonLocalBlock2d', in_channels=256, reduction=8),
    ),
    dict(
        after='features.13',
        module=dict(type='NonLocalBlock2d', in_channels=512, reduction=8),
    ),
]
nl_high = [
    dict(
        after='features.16',
        module=dict(type='NonLocalBlock2d', in_channels=512, reduction=8),
    ),
]

nl_vgg16 = dict(
    _delete_=True,
    type='InsertLayers',
    backbone=dict(
        type='WSOLVGG', depth=16, large_feature_map=False, act_cfg=relu_act
    ),
    insert=nl_low + nl_high,
    # the wrapper loads the plain mmpretrain VGG16 checkpoint unchanged (the
    # blocks start as the identity: BN weight and bias are 0)
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmclassification/v0/'
        'vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
        prefix='backbone.',
    ),
)
