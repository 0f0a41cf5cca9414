# GradCAM on ResNet50 layer3 of a CAM-trained model, CUB-200-2011: the
# comparison of BagCAMs' Tables 4-5 (same checkpoint, same layer, the
# authors' implementation choices: target logit, no guided ReLU, ReLU on the
# map, bilinear upsampling). Test-only; see
# bagcams_resnet50_1xb32_cub.py for the checkpoint.
_base_ = ['./bagcams_resnet50_1xb32_cub.py']

model = dict(
    localizer=dict(_delete_=True, type='GradCAM', layer='backbone.layer3')
)
