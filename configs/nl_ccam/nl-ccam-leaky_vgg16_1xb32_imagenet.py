# NL-CCAM with the authors' activation: LeakyReLU(0.2) after every VGG16
# convolution (Yangseung/NL-CCAM, model_cub.py; also after the WSOL conv6,
# which the authors' network does not have), instead of the ReLU of
# ../nl-ccam_vgg16_1xb32_imagenet.py (the community VGG16-GAP). Same recipe and
# ImageNet weights (trained with ReLU, as the authors' were); trains its own
# model.
_base_ = ['./nl-ccam_vgg16_1xb32_imagenet.py']

model = dict(backbone=dict(backbone=dict(act_cfg={{_base_.leaky_act}})))
