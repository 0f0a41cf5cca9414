_base_ = [
    '../_base_/models/inception_v3_adl.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))
# 10x lr (wsolevaluation main.py): the SPG head convs and the classifier.
# lr for batch 32: CAM's value for inception-v3 / imagenet (starting point: not
# the tuned value for ADL; wsolevaluation's tuned values are in a spreadsheet
# we could not read).
optim_wrapper = dict(
    optimizer=dict(lr=0.000126, weight_decay=0.0005),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.spg': dict(lr_mult=10.0),
            'head': dict(lr_mult=10.0),
        }
    ),
)
