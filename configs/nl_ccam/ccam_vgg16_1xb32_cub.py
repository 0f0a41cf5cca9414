# VGGnet-CCAM on CUB (Yang et al., WACV 2020, Tables 4, 7): the CAM model of
# configs/cam (same training, same checkpoint); only the localizer changes.
# CUB uses the quadratic combination (eq. 5, eta = 2, p = (K + 1) / 2).
_base_ = ['../cam/cam_vgg16_1xb32_cub.py']

model = dict(
    localizer=dict(type='CCAM', combination=dict(type='Polynomial', degree=2))
)
