# Rethinking CAM ablation (paper Table 3), synthetic set: CAM + TAP + NWC.
# Test-time variant: test the model trained with
# rethinking-cam-tap_tinynet_1xb32_synthetic.py.
# theta_tap 0.1 as for VGG16: TinyWSOLNet also ends in ReLU features.

_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    # TAP, at training and test time: each channel is averaged over its
    # values > theta_tap * max(F_c)
    head=dict(pool=dict(type='ThresholdedAvgPool', threshold=0.1)),
    # NWC: negative class weights clamped to 0 when building the maps only
    # (classification is unchanged)
    localizer=dict(clamp_negative_weights=True),
)
