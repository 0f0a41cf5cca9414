# BagCAMs (ECCV 2022) on InceptionV3 Mixed_6e (768 x 28 x 28 at 224, the
# SPG-style large feature map of the CAM config) of a CAM-trained model,
# OpenImages30k. Test-only, no retraining: everything is the CAM config's;
# only the localizer changes. Authors' defaults: log of the target logit,
# guided ReLU, per-channel ReLU, bilinear upsampling.
#   python tools/test.py \
#       configs/bagcams/bagcams_inception-v3_1xb32_openimages.py \
#       work_dirs/cam_inception-v3_1xb32_openimages/epoch_N.pth
_base_ = ['../cam/cam_inception-v3_1xb32_openimages.py']

model = dict(
    localizer=dict(_delete_=True, type='BagCAMs', layer='backbone.Mixed_6e')
)
