# TS-CAM with DeiT-Ti on ImageNet-1k: the DeiT-S recipe
# (ts-cam_deit-s_1xb256_imagenet.py) at the batch of the authors'
# configs/ILSVRC/deit_tscam_tiny_patch16_224.yaml, 128 (same lr, 5e-4).
_base_ = [
    '../_base_/models/deit_tiny_ts_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[9, 11, 19], gamma=0.1
)
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=128)

# the authors' fixed-threshold boxes (lib/cams_deit.py): 0.12 of the
# normalised map on ImageNet, the largest contour
box_rule = dict(threshold=0.12, box_mode='largest')
