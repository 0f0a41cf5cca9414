# ACoL on the synthetic set (TinyWSOLNet, 128 px), with the training budget of
# the CAM demo (12 epochs, same optimizer, schedule and seed). Scaled to the
# tiny backbone: both branches read stage 3 (256 channels) and their 3x3
# convs are 256 wide (1024 in the reference); erasing threshold 0.7
# (wsolevaluation's); no feature smoothing. The test map is the maximum of
# both branches' normalised maps (ACoLCAM).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    head=dict(
        _delete_=True,
        type='ACoLHead',
        num_classes=6,
        in_channels=256,
        mid_channels=256,
        erase_threshold=0.7,
        smooth_features=False,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(_delete_=True, type='ACoLCAM'),
)
