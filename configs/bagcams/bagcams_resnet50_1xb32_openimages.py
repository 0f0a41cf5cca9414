# BagCAMs (ECCV 2022) on ResNet50 layer3 of a CAM-trained model, OpenImages30k.
# Test-only, no retraining: everything (data, model, evaluation) is the CAM
# config's; only the localizer changes. Authors' defaults: log of the target
# logit, guided ReLU, per-channel ReLU, bilinear upsampling.
#   python tools/test.py configs/bagcams/bagcams_resnet50_1xb32_openimages.py \
#       work_dirs/cam_resnet50_1xb32_openimages/epoch_N.pth
# OpenImages: the authors' test script keeps the 14x14 ResNet50
# (--large_feature_map FALSE), so layer3 is 14x14 here, as in the CAM config.
_base_ = ['../cam/cam_resnet50_1xb32_openimages.py']

model = dict(
    localizer=dict(_delete_=True, type='BagCAMs', layer='backbone.layer3')
)
