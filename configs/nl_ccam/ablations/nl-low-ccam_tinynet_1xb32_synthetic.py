# Synthetic analogue of Table 7, row 6: low-level non-local block + CCAM
# (quadratic). Test-time variant: use the checkpoint of
# nl-low_tinynet_1xb32_synthetic.py.
_base_ = ['../nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(neck=None)
