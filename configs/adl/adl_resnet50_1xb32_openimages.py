_base_ = [
    '../_base_/models/resnet50_adl.py',
    '../_base_/datasets/openimages_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
# 10x lr (wsolevaluation main.py): layer4 and the classifier.
# lr for batch 32: CAM's value for resnet50 / openimages (starting point: not
# the tuned value for ADL; wsolevaluation's tuned values are in a spreadsheet
# we could not read).
optim_wrapper = dict(
    optimizer=dict(lr=0.00017, weight_decay=0.0001),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.layer4': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
