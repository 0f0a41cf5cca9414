# Ablation (paper Tables 5/6), CUB, VGG16: the baseline + SCG (test
# time only). Use the checkpoint of spa-baseline_vgg16_1xb32_cub.py.
_base_ = ['../spa_vgg16_1xb32_cub.py']

model = dict(head=dict(ra_loss=None))
custom_hooks = [dict(type='RNGStateHook')]
