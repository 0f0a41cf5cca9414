# TS-CAM with a DeiT-Tiny-sized transformer (embed 192, 12 layers, 3 heads)
# trained from scratch on the embedded synthetic set (128 x 128, CPU budget;
# the synthetic transformer study, tools/analysis/studies/
# synthetic_transformers.py). Patch size 16: an 8 x 8 token grid (cells
# of 16 px, coarser than the small class parts). Patch 8 (16 x 16, the map
# resolution of the CNN demo) was measured 2.5x slower per training step on
# the 2 CPU cores of the study (15 s vs 6 s per batch of 32 under the other
# sessions' load): beyond the budget. The model size is DeiT-Tiny's either
# way. From scratch, 5 epochs (the CPU budget: ~18 min a training there,
# 11.5 s per batch of 32); no drop path, lr 1e-3.
_base_ = [
    '../_base_/models/deit_tiny_ts_cam.py',
    '../_base_/datasets/synthetic_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(img_size=128, drop_path_rate=0.0, init_cfg=None),
    head=dict(num_classes=6),
)

# The authors' AdamW (the base's, weight decay 0.05, no decay on norms,
# biases and the tokens); from scratch: lr 1e-3, 1 warm-up epoch, cosine.
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True,
    ),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        T_max=4,  # max_epochs - 1
        eta_min=1e-5,
    ),
]
train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(interval=2, max_keep_ckpts=1),
)
randomness = dict(seed=0)
