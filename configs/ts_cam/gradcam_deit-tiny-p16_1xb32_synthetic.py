# Grad-CAM on a transformer block (its patch tokens as an 8 x 8 map) of the
# CAM model of cam_deit-tiny-p16_1xb32_synthetic.py. Test-only: only the
# localizer changes. The block (backbone.layers.11, the last one) can be set
# with --cfg-options model.localizer.layer=backbone.layers.<i>.
_base_ = ['./cam_deit-tiny-p16_1xb32_synthetic.py']

model = dict(
    localizer=dict(_delete_=True, type='GradCAM', layer='backbone.layers.11')
)
