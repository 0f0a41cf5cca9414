# SPG on the synthetic set (TinyWSOLNet, 128 px), with the training budget of
# the CAM demo (12 epochs, same optimizer, schedule and seed). Layout of the
# reference's ResNet50 (f1 = layer3.0, f2 = layer3, f3 = layer4, no main
# convs) scaled to the tiny backbone: f1 = the first conv of stage 2 (128 x
# 32 x 32, tapped with InsertLayers extra_outputs), f2 = stage 2 (128 x 16 x
# 16), f3 = stage 3 (256 x 16 x 16); B1 / B2 / C branches 128 wide (512-1024
# in the reference); wsolevaluation's thresholds; masks and losses at the
# input size (128 x 128; the reference: 224 x 224 = its input size). The
# test map is the main branch's class map (CAM).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='InsertLayers',
        backbone=dict(type='TinyWSOLNet', out_indices=(2, 3)),
        extra_outputs=['stages.2.0'],
    ),
    head=dict(
        _delete_=True,
        type='SPGHead',
        num_classes=6,
        in_channels=(128, 128, 256),
        feat_indices=(0, 1, 2),
        main_channels=(),
        branch_channels=128,
        c_channels=128,
        thresholds=((0.7, 0.01), (0.5, 0.05), (0.7, 0.1)),
        mask_size=(128, 128),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
)
