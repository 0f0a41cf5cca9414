# Ablation (paper Tables 5/6), ImageNet, VGG16: the baseline + SCG (test
# time only). Use the checkpoint of spa-baseline_vgg16_1xb32_imagenet.py.
_base_ = ['../spa_vgg16_1xb32_imagenet.py']

model = dict(head=dict(ra_loss=None))
custom_hooks = [dict(type='RNGStateHook')]
