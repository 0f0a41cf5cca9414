# ConvNeXt-T for CAM: the last stage (stride 32, 7x7 at 224 input, 768
# channels) feeds GAP + linear. WSOLClassifier sets the backbone's
# gap_before_final_norm=False itself (mmwsol/models/utils/spatial_output.py),
# so the final norm is applied to the map and the head pools it.
# Backbone settings and weights: mmpretrain 1.2's convnext-tiny_32xb128_in1k
# (configs/convnext/metafile.yml, ImageNet-1k top-1 82.14).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='tiny',
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='CAMHead',
        num_classes=1000,
        in_channels=768,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
