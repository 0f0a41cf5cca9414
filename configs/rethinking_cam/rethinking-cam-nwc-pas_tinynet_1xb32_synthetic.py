# Rethinking CAM ablation (paper Table 3), synthetic set: CAM + NWC + PaS.
# Test-time variant (NWC and PaS change no weight): test the model
# trained with ../cam/cam_tinynet_1xb32_synthetic.py.

_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    # NWC: negative class weights clamped to 0 when building the maps only
    # (classification is unchanged)
    localizer=dict(clamp_negative_weights=True)
)

# PaS: the fixed-threshold boxes (GT-known / Top-1 Loc) are cut at
# 0.35 * (90th percentile of the uint8 map) instead of 0.2 * max.
box_rule = dict(threshold=0.35, threshold_standard='percentile', percentile=90)
