# Rethinking CAM ablation (paper Table 3), synthetic set: CAM + TAP.
# Trains its own model (TAP changes the pooling); the TAP + NWC / PaS
# rows test this model.
# theta_tap 0.1 as for VGG16: TinyWSOLNet also ends in ReLU features.

_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    # TAP, at training and test time: each channel is averaged over its
    # values > theta_tap * max(F_c)
    head=dict(pool=dict(type='ThresholdedAvgPool', threshold=0.1))
)
