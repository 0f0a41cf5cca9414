# TS-CAM with DeiT-Ti on CUB-200-2011: the DeiT-S recipe
# (ts-cam_deit-s_1xb128_cub.py; the authors' configs/CUB/
# deit_tscam_tiny_patch16_224.yaml has the same solver settings).
_base_ = [
    '../_base_/models/deit_tiny_ts_cam.py',
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
