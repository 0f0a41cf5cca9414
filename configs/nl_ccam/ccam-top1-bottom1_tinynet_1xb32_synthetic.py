# CCAM on the synthetic set: the CAM demo model (same checkpoint as
# configs/cam/cam_tinynet_1xb32_synthetic.py) with the top-1 & bottom-1
# combination. The paper's ImageNet choice, bottom-10, needs at least 11
# classes; the synthetic set has 6 (bottom-j for j = 1..5 is possible: pass
# --cfg-options model.localizer.combination.bottom=J).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    localizer=dict(
        type='CCAM', combination=dict(type='TopBottom', top=1, bottom=1)
    )
)
