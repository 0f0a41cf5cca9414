# InceptionV3 ACoL (wsolevaluation wsol/inception.py InceptionAcol): the
# SPG-style InceptionV3 without its head convs (``with_head=False``: Mixed_6e,
# 768 channels, is the last map), two classifier branches (3x3 768 -> 1024,
# 3x3 1024 -> 1024, 1x1 -> K each) with adversarial erasing. Feature map
# size as the CAM config (``large_feature_map=True``: 28x28 at 224 input).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLInceptionV3',
        large_feature_map=True,
        with_head=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'inception-v3/inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='ACoLHead',
        num_classes=1000,
        in_channels=768,
        mid_channels=1024,
        erase_threshold=0.7,  # wsolevaluation --acol_threshold
        smooth_features=False,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='ACoLCAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
