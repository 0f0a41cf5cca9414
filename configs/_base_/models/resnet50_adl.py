# ResNet50 ADL (wsolevaluation wsol/resnet.py): the CAM ResNet50 (layer4
# stride 1, 14x14 at 224 input) with an ADL layer after block 0 of layer3
# and after blocks 0 and 2 of layer4. ADL is the identity in evaluation.
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='InsertLayers',
        backbone=dict(
            type='ResNet', depth=50, strides=(1, 2, 2, 1), out_indices=(3,)
        ),
        insert=[
            dict(
                after='layer3.0',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='layer4.0',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='layer4.2',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
        ],
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='CAMHead',
        num_classes=1000,
        in_channels=2048,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
