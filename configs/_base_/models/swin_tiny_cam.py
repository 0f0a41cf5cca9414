# Swin-T (patch 4, window 7) for CAM: the last stage (stride 32, 7x7 at 224
# input, 768 channels, after its norm) feeds GAP + linear. img_size=224: at
# 224 the last map equals the window, so pad_small_map stays False (the
# pretrained behaviour; WSOLClassifier sets it only for smaller img_size, see
# mmwsol/models/utils/spatial_output.py). Inputs must then be >= 224 px.
# Backbone settings and weights: mmpretrain 1.2's swin-tiny_16xb64_in1k
# (configs/swin_transformer/metafile.yml, ImageNet-1k top-1 81.18).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'swin-transformer/'
            'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth',
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
