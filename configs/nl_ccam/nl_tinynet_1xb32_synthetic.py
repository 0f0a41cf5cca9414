# The NL model of nl-ccam_tinynet_1xb32_synthetic.py with plain CAM maps
# (test-time variant: use that config's checkpoint). Separates the effect of
# the non-local blocks from the effect of CCAM.
_base_ = ['./nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(localizer=dict(_delete_=True, type='CAM'))
