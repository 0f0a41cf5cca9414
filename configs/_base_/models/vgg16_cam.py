# VGG16-GAP for CAM (wsolevaluation): pool5 removed, conv6 3x3 512->1024 +
# ReLU, 14x14 maps at 224 input; GAP + linear classifier.
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLVGG',
        depth=16,
        large_feature_map=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
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
