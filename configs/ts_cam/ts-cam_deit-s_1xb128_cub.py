# TS-CAM (Gao et al., ICCV 2021) with DeiT-S on CUB-200-2011.
# The authors' recipe (vasgaowei/TS-CAM: configs/CUB/
# deit_tscam_small_patch16_224.yaml and train_val_cub.sh): batch 128, 60
# epochs, AdamW lr 5e-5 (train_val_cub.sh passes --lr 5e-5; the yaml's
# START_LR is not read by their schedule), weight decay 0.05; their
# adjust_learning_rate_normal multiplies the lr by 0.1 at the start of every
# (1-based) epoch divisible by 30: epochs 30 and 60, 0-based 29 and 59.
# Input: train Resize 256 -> RandomCrop 224 -> flip (the yaml's RESIZE_SIZE
# / CROP_SIZE); test at 224 (the community protocol of cub_bs32.py).
_base_ = [
    '../_base_/models/deit_small_ts_cam.py',
    '../_base_/datasets/cub_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=5e-5))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[29, 59], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

# the authors' fixed-threshold boxes (lib/cams_deit.py): 0.1 of the
# normalised map on CUB, the largest contour
box_rule = dict(threshold=0.1, box_mode='largest')
