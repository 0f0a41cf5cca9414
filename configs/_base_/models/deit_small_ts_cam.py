# DeiT-S (patch 16) for TS-CAM: the patch tokens of the last block, after the
# final norm, as a 14x14 map at 224 input (384 channels) feed TSCAMHead (3x3
# conv to class maps + GAP); the class token's attention, captured from
# every layer, weights the class maps (TSCAM localizer). WSOLClassifier sets
# the backbone's out_type='featmap' itself. Backbone weights: mmpretrain
# 1.2's deit-small_4xb256_in1k (configs/deit/metafile.yml); drop path 0.1
# (the authors' default, tools_cam + lib/config/default.py --drop-path).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='TSCAMHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='TSCAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)

# The authors' optimizer: timm's create_optimizer with their defaults
# (lib/config/default.py: --opt adamw, --weight-decay 0.05), which exempts
# biases, norms and the no_weight_decay tokens (pos_embed, cls_token).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
        },
    ),
)
