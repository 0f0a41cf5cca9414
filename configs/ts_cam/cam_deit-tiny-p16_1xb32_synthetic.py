# CAM on the same DeiT-Tiny-sized transformer as
# ts-cam_deit-tiny-p16_1xb32_synthetic.py (same schedule and budget): the
# patch tokens after the final norm as an 8 x 8 map, GAP + linear head.
# The baseline of the synthetic transformer study.
_base_ = ['./ts-cam_deit-tiny-p16_1xb32_synthetic.py']

model = dict(
    head=dict(
        _delete_=True,
        type='CAMHead',
        num_classes=6,
        in_channels=192,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(_delete_=True, type='CAM'),
)
