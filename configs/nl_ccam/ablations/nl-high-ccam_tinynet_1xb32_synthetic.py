# Synthetic analogue of Table 7, row 7: high-level non-local block + CCAM
# (quadratic). Test-time variant: use the checkpoint of
# nl-high_tinynet_1xb32_synthetic.py.
_base_ = ['../nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(backbone=dict(_delete_=True, type='TinyWSOLNet'))
