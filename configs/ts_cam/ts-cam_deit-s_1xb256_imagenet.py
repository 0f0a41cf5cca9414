# TS-CAM (Gao et al., ICCV 2021) with DeiT-S on ImageNet-1k.
# The authors' recipe (vasgaowei/TS-CAM: configs/ILSVRC/
# deit_tscam_small_patch16_224.yaml and train_val_ilsvrc.sh): batch 256, 20
# epochs, AdamW lr 5e-4 (--lr 5e-4), weight decay 0.05; LR_STEPS [10, 12]
# in their adjust_learning_rate_normal multiply the lr by 0.1 at the start
# of every (1-based) epoch divisible by 10 or 12: epochs 10, 12 and 20,
# 0-based 9, 11 and 19. Input: train Resize 256 -> RandomCrop 224 -> flip;
# test at 224 (imagenet_bs32.py).
_base_ = [
    '../_base_/models/deit_small_ts_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))

train_dataloader = dict(batch_size=256)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[9, 11, 19], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)

# the authors' fixed-threshold boxes (lib/cams_deit.py): 0.12 of the
# normalised map on ImageNet, the largest contour
box_rule = dict(threshold=0.12, box_mode='largest')
