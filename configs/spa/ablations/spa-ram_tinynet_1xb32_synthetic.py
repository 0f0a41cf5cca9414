# Ablation (paper Tables 5/6), synthetic set: RAM without SCG, i.e. the SPA
# model with plain CAM maps. Test-time variant: use the checkpoint of
# ../spa_tinynet_1xb32_synthetic.py (RAM + SCG).
_base_ = ['../spa_tinynet_1xb32_synthetic.py']

model = dict(localizer=dict(_delete_=True, type='CAM'))
