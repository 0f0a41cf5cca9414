# GradCAMPlusPlus on ResNet50 layer3 of a CAM-trained model, CUB-200-2011: the
# comparison of BagCAMs' Tables 4-5 (same checkpoint, same layer, the
# authors' implementation choices: target logit, no guided ReLU, ReLU on the
# map, bilinear upsampling, reference pixel weights with the authors' eps =
# 1e-7 in their denominator). Test-only; see
# bagcams_resnet50_1xb32_cub.py for the checkpoint.
_base_ = ['./bagcams_resnet50_1xb32_cub.py']

model = dict(
    localizer=dict(
        _delete_=True,
        type='GradCAMPlusPlus',
        layer='backbone.layer3',
        variant='reference',
    )
)
