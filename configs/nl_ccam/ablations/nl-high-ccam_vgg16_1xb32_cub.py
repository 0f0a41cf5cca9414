# Table 7 of Yang et al. (WACV 2020), row 7: a high-level non-local block +
# CCAM (quadratic). Test-time variant: use the checkpoint of
# nl-high_vgg16_1xb32_cub.py.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(backbone=dict(insert={{_base_.nl_high}}))
