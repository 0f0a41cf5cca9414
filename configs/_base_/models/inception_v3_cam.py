# InceptionV3 for CAM, SPG-style (wsolevaluation): Conv2d_1a padding 1,
# Mixed_6a stride 1, Mixed_7* removed, then 3x3 768->1024 and 3x3
# 1024->1024 convs (+ReLU); GAP + linear classifier (= the 1x1 1024->C conv
# followed by GAP of the reference, since both are linear).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLInceptionV3',
        large_feature_map=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'inception-v3/inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='CAMHead',
        num_classes=1000,
        in_channels=1024,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
