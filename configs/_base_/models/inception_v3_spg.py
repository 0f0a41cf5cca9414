# InceptionV3 SPG (wsolevaluation wsol/inception.py InceptionSpg):
# WSOLInceptionV3 with its SPG head convs (dropout 0.5, as the reference)
# gives f1 = Mixed_5d after the extra pooling (288), f2 = Mixed_6d (768) and
# f3 = the 1024-channel head output; B1 / B2 branches 512 wide, C branch 512
# wide; masks and losses at 224 x 224. Feature map size as the CAM config
# (``large_feature_map=True``: 28x28 at 224 input).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLInceptionV3',
        large_feature_map=True,
        out_indices=(0, 4, 6),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'inception-v3/inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='SPGHead',
        num_classes=1000,
        in_channels=(288, 768, 1024),
        feat_indices=(0, 1, 2),
        main_channels=(),
        branch_channels=512,
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
