# Ablation (paper Tables 5/6), synthetic set: the baseline, SPA's conv head
# (ACoL-style CAM network, no fully connected layer) trained with CE only,
# plain CAM maps. Same budget as ../spa_tinynet_1xb32_synthetic.py.
_base_ = ['../spa_tinynet_1xb32_synthetic.py']

model = dict(
    head=dict(ra_loss=None), localizer=dict(_delete_=True, type='CAM')
)
custom_hooks = [dict(type='RNGStateHook')]
