# NL-CCAM on the synthetic set, with the training budget of the CAM demo
# (configs/cam/cam_tinynet_1xb32_synthetic.py: 12 epochs, same optimizer,
# schedule and seed). TinyWSOLNet has 4 stages (16x16 maps after stages 2
# and 3 at 128x128 input):
# - low level: a non-local block after stage 2 (`stages.2`, 128 channels,
#   16x16, after its pooling), inserted into the unchanged backbone;
# - high level: a non-local block on the last stage's output (256 channels,
#   16x16), as a `NonLocalNeck`.
# CCAM with the quadratic combination at test time (the synthetic classes
# share their body, like the birds of CUB, for which the paper found the
# polynomial combination best). Activation: TinyWSOLNet's ReLU (the authors'
# VGG16 uses LeakyReLU(0.2): add `--cfg-options
# model.backbone.backbone.act_cfg.type=LeakyReLU
# model.backbone.backbone.act_cfg.negative_slope=0.2`).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='InsertLayers',
        backbone=dict(type='TinyWSOLNet'),
        insert=[
            dict(
                after='stages.2',
                module=dict(type='NonLocalBlock2d', in_channels=128),
            )
        ],
    ),
    neck=dict(type='NonLocalNeck', in_channels=256),
    localizer=dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
)
