# ResNet50 ACoL (wsolevaluation wsol/resnet.py ResNetAcol): the CAM ResNet50
# (layer4 stride 1, 14x14 at 224 input), two classifier branches on layer4
# (3x3 2048 -> 1024, 3x3 1024 -> 1024, 1x1 -> K each) with adversarial
# erasing; no feature smoothing (only the reference's VGG has it).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3,),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='ACoLHead',
        num_classes=1000,
        in_channels=2048,
        mid_channels=1024,
        erase_threshold=0.7,  # wsolevaluation --acol_threshold
        smooth_features=False,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='ACoLCAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
