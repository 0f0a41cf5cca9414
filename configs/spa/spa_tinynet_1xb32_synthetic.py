# SPA (RAM + SCG) on the synthetic set, with the training budget of the CAM
# demo (configs/cam/cam_tinynet_1xb32_synthetic.py: 12 epochs, same optimizer,
# schedule and seed). TinyWSOLNet returns stages 2 and 3 (both 16x16 at 128x128
# input) for SCG; SPA's conv head sits on stage 3 (256 channels). Scaled to the
# tiny backbone: the head's two 3x3 convs have 256 channels (1024 in the paper)
# and RAM starts at epoch 4 of 12 (0-based; CUB: 20 of 50). tau / sigma / alpha
# and the SCG thresholds are the authors' CUB values (the synthetic classes
# share their body, like the birds of CUB).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    backbone=dict(out_indices=(2, 3)),
    head=dict(
        _delete_=True,
        type='RAMHead',
        num_classes=6,
        in_channels=256,
        mid_channels=256,
        ra_loss=dict(
            type='RestrictedActivationLoss',
            tau=0.1,
            sigma=0.2,
            loss_weight=0.5,
        ),
        ram_start=4,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(
        _delete_=True,
        type='SCG',
        # the authors' coarse map: ReLU(class channel, bias included),
        # min-max normalised, resized to the image (here: input) size and
        # back before picking the seeds
        coarse=dict(type='CAM', with_bias=True, relu=True),
        coarse_via_input=True,
        feat_indices=(0, 1),
        order=2,
        fo_th=0.1,
        so_th=0.5,
        so_weight=2.0,
        combination='max',
        obj_th=0.1,
        bg_th=0.05,
    ),
)

# RAMStartHook gives the head the epoch (RAM from `ram_start`, also after
# --resume); RNGStateHook comes from default_runtime.
custom_hooks = [dict(type='RNGStateHook'), dict(type='RAMStartHook')]

# SPA's evaluation (the authors' exper/val_spa.py, mode='union'): the box at a
# fixed threshold is the one box around all foreground pixels.
box_rule = dict(box_mode='union')
