_base_ = [
    '../_base_/models/vgg16_spg.py',
    '../_base_/datasets/cub_bs32.py',
    '../_base_/schedules/cub_50e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))
# 10x lr (wsolevaluation main.py): conv4_x / conv5_x (the reference's SPG_A_1 /
# SPG_A_2) and the SPG head.
# lr for batch 32: CAM's value for vgg16 / cub (starting point: not the tuned
# value for SPG; wsolevaluation's tuned values are in a spreadsheet we could
# not read).
optim_wrapper = dict(
    optimizer=dict(lr=1.268e-05, weight_decay=0.0005),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.features.10.': dict(lr_mult=10.0),
            'backbone.features.11.': dict(lr_mult=10.0),
            'backbone.features.12.': dict(lr_mult=10.0),
            'backbone.features.14.': dict(lr_mult=10.0),
            'backbone.features.15.': dict(lr_mult=10.0),
            'backbone.features.16.': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
