# Ablation (paper Tables 5/6), synthetic set: the baseline + SCG (test time
# only). Use the checkpoint of spa-baseline_tinynet_1xb32_synthetic.py.
_base_ = ['../spa_tinynet_1xb32_synthetic.py']

model = dict(head=dict(ra_loss=None))
custom_hooks = [dict(type='RNGStateHook')]
