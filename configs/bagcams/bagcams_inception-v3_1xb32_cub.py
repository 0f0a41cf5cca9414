# BagCAMs (ECCV 2022) on InceptionV3 Mixed_6e (768 x 28 x 28 at 224, the
# SPG-style large feature map of the CAM config) of a CAM-trained model,
# CUB-200-2011. Test-only, no retraining: everything is the CAM config's;
# only the localizer changes. Authors' defaults: log of the target logit,
# guided ReLU, per-channel ReLU, bilinear upsampling.
#   python tools/test.py \
#       configs/bagcams/bagcams_inception-v3_1xb32_cub.py \
#       work_dirs/cam_inception-v3_1xb32_cub/epoch_N.pth
_base_ = ['../cam/cam_inception-v3_1xb32_cub.py']

model = dict(
    localizer=dict(_delete_=True, type='BagCAMs', layer='backbone.Mixed_6e')
)

# The paper's T-Loc / G-Loc (the authors' code: wsolevaluation's BoxEvaluator
# with multi_contour_eval=True) take the boxes of all contours, at the best CAM
# threshold: our top1_loc_best / gt_known_loc_best with box_mode='all'.
box_rule = dict(box_mode='all')
