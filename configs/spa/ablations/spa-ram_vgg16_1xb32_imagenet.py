# Ablation (paper Tables 5/6), ImageNet, VGG16: RAM without SCG (plain CAM
# maps). Test-time variant: use the checkpoint of
# ../spa_vgg16_1xb32_imagenet.py.
_base_ = ['../spa_vgg16_1xb32_imagenet.py']

model = dict(localizer=dict(_delete_=True, type='CAM'))
