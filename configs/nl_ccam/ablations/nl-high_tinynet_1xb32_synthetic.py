# Synthetic analogue of Table 7 (Yang et al., WACV 2020), row 3: a non-local
# block at the high level only (`NonLocalNeck` on the last stage of
# TinyWSOLNet), plain CAM maps. Trains its own model with the budget of the
# CAM demo.
_base_ = ['../nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(
    backbone=dict(_delete_=True, type='TinyWSOLNet'),
    localizer=dict(_delete_=True, type='CAM'),
)
