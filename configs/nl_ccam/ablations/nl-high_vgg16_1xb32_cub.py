# Table 7 of Yang et al. (WACV 2020), row 3: a non-local block at the high
# level only (after conv5_3), plain CAM maps. Trains its own model.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(
    backbone=dict(insert={{_base_.nl_high}}),
    localizer=dict(_delete_=True, type='CAM'),
)
