_base_ = [
    '../_base_/models/inception_v3_acol.py',
    '../_base_/datasets/openimages_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
# 10x lr (wsolevaluation main.py): the ACoL branches.
# lr for batch 32: CAM's value for inception-v3 / openimages (starting point:
# not the tuned value for ACoL; wsolevaluation's tuned values are in a
# spreadsheet we could not read).
optim_wrapper = dict(
    optimizer=dict(lr=0.000126, weight_decay=0.0005),
    paramwise_cfg=dict(
        custom_keys={
            'head': dict(lr_mult=10.0),
        }
    ),
)
