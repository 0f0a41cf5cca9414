# The synthetic NL-CCAM model with the top-1 & bottom-1 combination (test-time
# variant: use the checkpoint of ../nl-ccam_tinynet_1xb32_synthetic.py;
# --cfg-options model.localizer.combination.bottom=J for bottom-J, J <= 5).
_base_ = ['../nl-ccam_tinynet_1xb32_synthetic.py']

model = dict(
    localizer=dict(
        combination=dict(_delete_=True, type='TopBottom', top=1, bottom=1)
    )
)
