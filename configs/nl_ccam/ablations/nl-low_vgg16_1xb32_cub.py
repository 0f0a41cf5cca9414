# Table 7 of Yang et al. (WACV 2020), row 2: non-local blocks at the low level
# only (after pool2, pool3, pool4), plain CAM maps. Trains its own model.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(
    backbone=dict(insert={{_base_.nl_low}}),
    localizer=dict(_delete_=True, type='CAM'),
)
