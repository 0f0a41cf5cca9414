# CCAM on the synthetic set: the CAM demo model (same training, same
# checkpoint: configs/cam/cam_tinynet_1xb32_synthetic.py); only the localizer
# changes. Quadratic combination (eq. 5, eta = 2, p = (K + 1) / 2 = 3.5 for
# the 6 classes: g = 1, .36, .04, -.04, -.36, -1).
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    localizer=dict(type='CCAM', combination=dict(type='Polynomial', degree=2))
)
