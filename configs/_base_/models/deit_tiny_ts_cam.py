# DeiT-Ti for TS-CAM: as deit_small_ts_cam.py with mmpretrain 1.2's
# deit-tiny_4xb256_in1k weights (192 channels, 3 heads).
_base_ = ['./deit_small_ts_cam.py']

model = dict(
    backbone=dict(
        arch='deit-tiny',
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'deit/deit-tiny_pt-4xb256_in1k_20220218-13b382a0.pth'
        ),
    ),
    head=dict(in_channels=192),
)
