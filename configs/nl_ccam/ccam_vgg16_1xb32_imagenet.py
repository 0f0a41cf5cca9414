# VGGnet-CCAM on ImageNet (Yang et al., WACV 2020, Tables 3, 5): the CAM model
# of configs/cam (same training, same checkpoint); only the localizer changes.
# ImageNet uses the top-1 & bottom-10 combination (eq. 6).
_base_ = ['../cam/cam_vgg16_1xb32_imagenet.py']

model = dict(
    localizer=dict(
        type='CCAM', combination=dict(type='TopBottom', top=1, bottom=10)
    )
)
