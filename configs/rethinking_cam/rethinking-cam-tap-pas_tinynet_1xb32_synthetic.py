# Rethinking CAM ablation (paper Table 3), synthetic set: CAM + TAP + PaS.
# Test-time variant: test the model trained with
# rethinking-cam-tap_tinynet_1xb32_synthetic.py.
# theta_tap 0.1 as for VGG16: TinyWSOLNet also ends in ReLU features.

_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    # TAP, at training and test time: each channel is averaged over its
    # values > theta_tap * max(F_c)
    head=dict(pool=dict(type='ThresholdedAvgPool', threshold=0.1))
)

# PaS: the fixed-threshold boxes (GT-known / Top-1 Loc) are cut at
# 0.35 * (90th percentile of the uint8 map) instead of 0.2 * max.
box_rule = dict(threshold=0.35, threshold_standard='percentile', percentile=90)
