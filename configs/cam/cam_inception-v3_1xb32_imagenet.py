_base_ = [
    '../_base_/models/inception_v3_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))
# The reference trains the SPG convs and the classifier with a 10x lr.
# lr for batch 32 (starting point; tune on val)
optim_wrapper = dict(
    optimizer=dict(lr=0.000126, weight_decay=0.0005),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.spg': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
