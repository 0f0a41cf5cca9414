# Rethinking CAM ablation (paper Table 3), VGG16 on CUB: CAM + TAP.
# Trains its own model (TAP changes the pooling); the TAP + NWC / PaS
# rows test this model.

_base_ = ['../cam/cam_vgg16_1xb32_cub.py']

model = dict(
    # TAP, at training and test time: each channel is averaged over its
    # values > theta_tap * max(F_c)
    head=dict(pool=dict(type='ThresholdedAvgPool', threshold=0.1))
)
