# Ablation (paper Tables 5/6), CUB, InceptionV3: the baseline + SCG (test
# time only). Use the checkpoint of spa-baseline_inception-v3_1xb32_cub.py.
_base_ = ['../spa_inception-v3_1xb32_cub.py']

model = dict(head=dict(ra_loss=None))
custom_hooks = [dict(type='RNGStateHook')]
