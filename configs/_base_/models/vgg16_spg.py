# VGG16 SPG (wsolevaluation wsol/vgg.py VggSpg): WSOLVGG without conv6 gives
# f1 = block4 after pool4 (512, 14x14) and f2 = f3 = conv5_3 (512, 14x14);
# the main path adds two 3x3 512 -> 512 convs (SPG_A_3) before the 1x1
# classifier; B1 / B2 branches 512 wide, C branch 512 wide; masks and
# losses at 224 x 224. Difference: the reference pools block4 with a 3x3
# stride-2 max-pooling (padding 1); WSOLVGG's pool4 is 2x2 (same size).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='WSOLVGG',
        depth=16,
        large_feature_map=False,
        with_conv6=False,
        out_indices=(3, 4),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='SPGHead',
        num_classes=1000,
        in_channels=(512, 512, 512),
        feat_indices=(0, 1, 1),
        main_channels=(512, 512),
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
