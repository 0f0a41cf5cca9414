# LayerCAM (Jiang et al., TIP 2021: relu(dS/dZ) * Z summed over channels;
# target logit, ReLU on the map, bilinear upsampling),
# on the last layer (stage 3, 256 x 16 x 16 at 128 input: the CAM layer).
# Test-only: the CAM demo model (configs/cam/cam_tinynet_1xb32_synthetic.py,
# checkpoint work_dirs/demo/epoch_12.pth from `make demo`); only the localizer
# changes, no retraining. Another layer:
# --cfg-options model.localizer.layer=backbone.stages.2
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    localizer=dict(_delete_=True, type='LayerCAM', layer='backbone.stages.3')
)

# The paper's T-Loc / G-Loc (the authors' code: wsolevaluation's BoxEvaluator
# with multi_contour_eval=True) take the boxes of all contours, at the best CAM
# threshold: our top1_loc_best / gt_known_loc_best with box_mode='all'.
box_rule = dict(box_mode='all')
