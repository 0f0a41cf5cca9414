# NL-CCAM on CUB (Yang et al., WACV 2020, Tables 2, 4, 6, 7): VGG16-GAP with
# non-local blocks at the low and high levels (../_base_/models/
# vgg16_non_local.py); CCAM with the quadratic combination at test time.
# Activation: ReLU (the community VGG16-GAP); the authors' LeakyReLU(0.2) is
# nl-ccam-leaky_vgg16_1xb32_cub.py.
_base_ = [
    '../cam/cam_vgg16_1xb32_cub.py',
    '../_base_/models/vgg16_non_local.py',
]

model = dict(
    backbone={{_base_.nl_vgg16}},
    localizer=dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
)
# The inherited paramwise_cfg key 'backbone.conv6' still matches
# 'backbone.backbone.conv6'; the non-local blocks train at the base lr.
