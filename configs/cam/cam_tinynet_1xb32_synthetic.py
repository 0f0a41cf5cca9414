# The demo: CAM with a small CNN trained from scratch on the synthetic set,
# on CPU in a few minutes (`make demo`).
_base_ = [
    '../_base_/datasets/synthetic_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='WSOLClassifier',
    backbone=dict(type='TinyWSOLNet'),
    head=dict(
        type='CAMHead',
        num_classes=6,
        in_channels=256,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True
    )
)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        T_max=11,
        eta_min=1e-4,
    ),
]
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=4)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=2),
)
randomness = dict(seed=0)
