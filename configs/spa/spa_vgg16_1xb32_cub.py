# SPA (Pan et al., CVPR 2021) on CUB: VGG16 with SPA's conv head (RAM: CE +
# alpha * restricted activation loss from epoch 20, 0-based) and SCG at test
# time on VGG16 blocks 4 and 5 (14x14), coarse maps from the class channel of
# the head (ReLU, bias included), as the authors. The authors' CUB defaults
# (Panxjia/SPA_CVPR2021). Training budget: the community recipe of configs/cam
# (50 epochs), so that the methods of mmwsol compare at the same budget (the
# authors trained VGG16 for 100 epochs on CUB and 20 on ImageNet, lr 1e-3 with
# a 10x lr on the head).
_base_ = ['../cam/cam_vgg16_1xb32_cub.py']

model = dict(
    backbone=dict(
        # no conv6: SPA's head sits on block5 (conv5_3, 512 channels);
        # outputs: block4 (after pool4) and block5, both 14x14 at 224 input
        with_conv6=False,
        out_indices=(3, 4),
    ),
    head=dict(
        _delete_=True,
        type='RAMHead',
        num_classes=200,
        in_channels=512,
        mid_channels=1024,
        ra_loss=dict(
            type='RestrictedActivationLoss',
            tau=0.1,
            sigma=0.2,
            loss_weight=0.5,
        ),
        ram_start=20,
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

# The head is trained from scratch with a 10x lr (the authors' lr 1e-3;
# starting point for batch 32: tune on val).
optim_wrapper = dict(
    optimizer=dict(lr=0.001),
    paramwise_cfg=dict(
        _delete_=True, custom_keys={'head': dict(lr_mult=10.0)}
    ),
)

# RAMStartHook gives the head the epoch (RAM from `ram_start`, also after
# --resume); RNGStateHook comes from default_runtime.
custom_hooks = [dict(type='RNGStateHook'), dict(type='RAMStartHook')]

# SPA's evaluation (the authors' exper/val_spa.py, mode='union'): the box at a
# fixed threshold is the one box around all foreground pixels.
box_rule = dict(box_mode='union')
