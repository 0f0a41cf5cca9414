_base_ = [
    '../_base_/models/resnet50_cam.py',
    '../_base_/datasets/openimages_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
# The reference trains layer4 and the classifier with a 10x learning rate.
# lr for batch 32 (starting point; tune on val)
optim_wrapper = dict(
    optimizer=dict(lr=0.00017, weight_decay=0.0001),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.layer4': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
