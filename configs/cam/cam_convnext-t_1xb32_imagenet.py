_base_ = [
    '../_base_/models/convnext_tiny_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))
# Optimizer: AdamW as in mmpretrain's fine-tuning configs; mmpretrain 1.2
# has no ConvNeXt CUB config, so its Swin CUB fine-tuning recipe is used
# (configs/swin_transformer/swin-large_8xb8_cub-384px.py: AdamW lr 5e-6 at
# batch 64, weight decay 5e-4, no decay on norms / biases, clip_grad 5),
# lr scaled linearly to batch 32.
# Schedule: the community CAM recipe of configs/_base_/schedules (epochs,
# step decay) and its 10x lr for the new classifier (the head).
# lr for batch 32 (starting point; tune on val)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=2.5e-06,
        weight_decay=0.0005,
        eps=1e-8,
        betas=(0.9, 0.999),
    ),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'head': dict(lr_mult=10.0),
        },
    ),
    clip_grad=dict(max_norm=5.0),
)
