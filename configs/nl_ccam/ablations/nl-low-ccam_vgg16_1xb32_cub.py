# Table 7 of Yang et al. (WACV 2020), row 6: low-level non-local blocks +
# CCAM (quadratic). Test-time variant: use the checkpoint of
# nl-low_vgg16_1xb32_cub.py.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(backbone=dict(insert={{_base_.nl_low}}))
