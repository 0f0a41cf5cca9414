# ResNet50 SPG (wsolevaluation wsol/resnet.py): f1 = layer3.0 (1024),
# f2 = layer3 (1024), f3 = layer4 (2048, stride 1: 14x14 at 224 input); no
# main convs (the 1x1 classifier reads layer4); B1 / B2 branches 1024 wide,
# C branch 512 wide; masks and losses at 224 x 224. ``InsertLayers`` only
# taps layer3.0 (``extra_outputs``, returned first); the pretrained
# ResNet50 checkpoint loads into the wrapped backbone unchanged.
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='InsertLayers',
        backbone=dict(
            type='ResNet',
            depth=50,
            strides=(1, 2, 2, 1),
            out_indices=(2, 3),
        ),
        extra_outputs=['layer3.0'],
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='SPGHead',
        num_classes=1000,
        in_channels=(1024, 1024, 2048),
        feat_indices=(0, 1, 2),
        main_channels=(),
        branch_channels=1024,
        c_channels=512,
        # wsolevaluation --spg_thresholds: (high, low) of B2, B1, C
        thresholds=((0.7, 0.01), (0.5, 0.05), (0.7, 0.1)),
        mask_size=(224, 224),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),  # the main branch's class map
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
