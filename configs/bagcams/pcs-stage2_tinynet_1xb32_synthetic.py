# PCS (target logit, ReLU on the map, bilinear upsampling),
# on an intermediate layer (stage 2, 128 x 16 x 16 at 128 input).
# Test-only: the CAM demo model (configs/cam/cam_tinynet_1xb32_synthetic.py,
# checkpoint work_dirs/demo/epoch_12.pth from `make demo`); only the localizer
# changes, no retraining.
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    localizer=dict(_delete_=True, type='PCS', layer='backbone.stages.2')
)

# The paper's T-Loc / G-Loc (the authors' code: wsolevaluation's BoxEvaluator
# with multi_contour_eval=True) take the boxes of all contours, at the best CAM
# threshold: our top1_loc_best / gt_known_loc_best with box_mode='all'.
box_rule = dict(box_mode='all')
