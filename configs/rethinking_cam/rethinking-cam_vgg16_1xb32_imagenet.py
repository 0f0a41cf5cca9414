# Rethinking CAM (Bae et al., ECCV 2020) = CAM + TAP + NWC + PaS on
# ImageNet-1k. VGG16: theta_tap 0.1 (the paper's value for VGG16).
# Data, schedule and learning rates are those of the CAM config.

_base_ = ['../cam/cam_vgg16_1xb32_imagenet.py']

model = dict(
    # TAP, at training and test time: each channel is averaged over its
    # values > theta_tap * max(F_c)
    head=dict(pool=dict(type='ThresholdedAvgPool', threshold=0.1)),
    # NWC: negative class weights clamped to 0 when building the maps only
    # (classification is unchanged)
    localizer=dict(clamp_negative_weights=True),
)

# PaS: the fixed-threshold boxes (GT-known / Top-1 Loc) are cut at
# 0.35 * (90th percentile of the uint8 map) instead of 0.2 * max.
box_rule = dict(threshold=0.35, threshold_standard='percentile', percentile=90)
