# VGG16 ADL (wsolevaluation wsol/vgg.py, 'adl' 14x14 layout): the CAM VGG16
# (WSOLVGG with conv6) with an ADL layer after pool3 (features.9), after
# conv4_3 + ReLU (features.12, before pool4) and after conv5_3 + ReLU
# (features.16, before conv6). ADL is the identity in evaluation.
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='InsertLayers',
        backbone=dict(type='WSOLVGG', depth=16, large_feature_map=False),
        insert=[
            dict(
                after='features.9',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='features.12',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='features.16',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
        ],
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
