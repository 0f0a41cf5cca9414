# BagCAMs (ECCV 2022) on ResNet50 layer3 of a CAM-trained model, ImageNet.
# Test-only, no retraining: everything (data, model, evaluation) is the CAM
# config's; only the localizer changes. Authors' defaults: log of the target
# logit, guided ReLU, per-channel ReLU, bilinear upsampling.
#   python tools/test.py configs/bagcams/bagcams_resnet50_1xb32_imagenet.py \
#       work_dirs/cam_resnet50_1xb32_imagenet/epoch_N.pth
# Large feature map as in the paper (Table 5: Res_3 = 1024 x 28 x 28) and the
# authors' test script: layer3 keeps stride 1. Use a CAM checkpoint trained
# with the same strides (train configs/cam/cam_resnet50_1xb32_imagenet.py with
# --cfg-options "model.backbone.strides=(1,2,1,1)"); the strides have no
# weights, so a 14x14 CAM checkpoint loads too, but its maps differ.
_base_ = ['../cam/cam_resnet50_1xb32_imagenet.py']

model = dict(
    backbone=dict(strides=(1, 2, 1, 1)),
    localizer=dict(_delete_=True, type='BagCAMs', layer='backbone.layer3'),
)

# The paper's T-Loc / G-Loc (the authors' code: wsolevaluation's BoxEvaluator
# with multi_contour_eval=True) take the boxes of all contours, at the best CAM
# threshold: our top1_loc_best / gt_known_loc_best with box_mode='all'.
box_rule = dict(box_mode='all')
