_base_ = [
    '../_base_/models/inception_v3_cam.py',
    '../_base_/datasets/cub_bs32.py',
    '../_base_/schedules/cub_50e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))
# The reference trains the SPG convs and the classifier with a 10x lr.
# lr for batch 32 (community tuned value)
optim_wrapper = dict(
    optimizer=dict(lr=0.0022484, weight_decay=0.0005),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.spg': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
