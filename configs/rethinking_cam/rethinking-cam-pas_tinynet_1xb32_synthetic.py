# Rethinking CAM ablation (paper Table 3), synthetic set: CAM + PaS.
# Test-time variant (NWC and PaS change no weight): test the model
# trained with ../cam/cam_tinynet_1xb32_synthetic.py.

_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

# PaS: the fixed-threshold boxes (GT-known / Top-1 Loc) are cut at
# 0.35 * (90th percentile of the uint8 map) instead of 0.2 * max.
box_rule = dict(threshold=0.35, threshold_standard='percentile', percentile=90)
