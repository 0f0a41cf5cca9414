# DeiT-S (patch 16) for CAM: the patch tokens of the last block, after the
# final norm, as a 14x14 map at 224 input (384 channels) feed GAP + linear;
# the class token is not used. WSOLClassifier sets the backbone's
# out_type='featmap' itself (mmwsol/models/utils/spatial_output.py).
# Backbone settings and weights: mmpretrain 1.2's deit-small_4xb256_in1k
# (configs/deit/metafile.yml, ImageNet-1k top-1 80.69).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='CAMHead',
        num_classes=1000,
        in_channels=384,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
