# NL-CCAM on ImageNet (Yang et al., WACV 2020, Tables 1, 3, 5, 6): VGG16-GAP
# with non-local blocks at the low and high levels (../_base_/models/
# vgg16_non_local.py); CCAM with the top-1 & bottom-10 combination at test
# time. Activation: ReLU (the community VGG16-GAP); the authors' LeakyReLU(0.2)
# is nl-ccam-leaky_vgg16_1xb32_imagenet.py.
_base_ = [
    '../cam/cam_vgg16_1xb32_imagenet.py',
    '../_base_/models/vgg16_non_local.py',
]

model = dict(
    backbone={{_base_.nl_vgg16}},
    localizer=dict(
        type='CCAM', combination=dict(type='TopBottom', top=1, bottom=10)
    ),
)
