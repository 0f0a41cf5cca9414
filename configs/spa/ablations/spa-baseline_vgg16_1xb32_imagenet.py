# Ablation (paper Tables 5/6), ImageNet, VGG16: the baseline, SPA's conv
# head (CAM network without the fully connected layer, as ACoL) trained with
# CE only, plain CAM maps. Same recipe as ../spa_vgg16_1xb32_imagenet.py.
_base_ = ['../spa_vgg16_1xb32_imagenet.py']

model = dict(
    head=dict(ra_loss=None), localizer=dict(_delete_=True, type='CAM')
)
custom_hooks = [dict(type='RNGStateHook')]
