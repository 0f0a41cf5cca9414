# Synthetic analogue of Table 7 (Yang et al., WACV 2020), row 2: a non-local
# block at the low level only (after `stages.2` of TinyWSOLNet), plain CAM
# maps. Trains its own model with the budget of the CAM demo.
_base_ = ['../nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(neck=None, localizer=dict(_delete_=True, type='CAM'))
