# VGG16 ACoL (wsolevaluation wsol/vgg.py VggAcol): conv1_1 .. conv5_3 of
# WSOLVGG without conv6 (14x14 at 224 input), a 3x3 average pooling of the
# features (``smooth_features``), then two classifier branches (3x3 512 ->
# 1024, 3x3 1024 -> 1024, 1x1 -> K each) with adversarial erasing.
# Difference: the reference's ACoL VGG uses 3x3 max-poolings (stride 2 pad 1,
# and stride 1 after conv5_3); we keep WSOLVGG's 2x2 ones (same map size at
# 224 input, and mmpretrain's ImageNet weights load unchanged).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLVGG',
        depth=16,
        large_feature_map=False,
        with_conv6=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='ACoLHead',
        num_classes=1000,
        in_channels=512,
        mid_channels=1024,
        erase_threshold=0.7,  # wsolevaluation --acol_threshold
        smooth_features=True,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='ACoLCAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
