_base_ = [
    '../_base_/models/deit_small_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))
# Optimizer: TS-CAM's DeiT-S fine-tuning (vasgaowei/TS-CAM, timm AdamW,
# weight decay 5e-4; train_val_cub.sh lr 5e-5 at batch 128,
# train_val_ilsvrc.sh lr 5e-4 at batch 256) with mmpretrain's DeiT
# paramwise settings (configs/deit/deit-small_4xb256_in1k.py: no decay on
# norms / biases / cls_token / pos_embed, clip_grad 5), lr scaled linearly
# to batch 32.
# Schedule: the community CAM recipe of configs/_base_/schedules (epochs,
# step decay) and its 10x lr for the new classifier (the head).
# lr for batch 32 (starting point; tune on val)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=6.25e-05,
        weight_decay=0.0005,
        eps=1e-8,
        betas=(0.9, 0.999),
    ),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'head': dict(lr_mult=10.0),
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        },
    ),
    clip_grad=dict(max_norm=5.0),
)
