# NL-CCAM on ImageNet (Yang et al., WACV 2020, Tables 1, 3, 5, 6): VGG16-GAP
# with non-local blocks after pool2, pool3, pool4 (low level) and conv5_3
# (high level); CCAM with the top-1 & bottom-10 combination at test time.
_base_ = ['../cam/cam_vgg16_1xb32_imagenet.py']

# mmpretrain VGG16 `features` indices: pool2 = 5, pool3 = 9, pool4 = 13,
# conv5_3 = 16.
nl_low = [
    dict(after='features.5',
         module=dict(type='NonLocalBlock2d', in_channels=128, reduction=8)),
    dict(after='features.9',
         module=dict(type='NonLocalBlock2d', in_channels=256, reduction=8)),
    dict(after='features.13',
         module=dict(type='NonLocalBlock2d', in_channels=512, reduction=8)),
]
nl_high = [
    dict(after='features.16',
         module=dict(type='NonLocalBlock2d', in_channels=512, reduction=8)),
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='InsertLayers',
        backbone=dict(type='WSOLVGG', depth=16, large_feature_map=False),
        insert=nl_low + nl_high,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'vgg/vgg16_batch256_imagenet_20210208-db26f1a5.pth',
            prefix='backbone.')),
    localizer=dict(
        type='CCAM', combination=dict(type='TopBottom', top=1, bottom=10)))
