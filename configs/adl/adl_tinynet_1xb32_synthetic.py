# ADL on the synthetic set (TinyWSOLNet, 128 px), with the training budget of
# the CAM demo (12 epochs, same optimizer, schedule and seed). Positions
# scaled to the tiny backbone like the reference's ResNet50 ones (after
# layer3.0, layer4.0, layer4.2): after stage 2 (with its pooling, 128 x 16 x
# 16), after the first conv of stage 3 and after stage 3 (the CAM map).
# ADL (drop_rate 0.75, threshold 0.9, wsolevaluation's) is the identity in
# evaluation.
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='InsertLayers',
        backbone=dict(type='TinyWSOLNet'),
        insert=[
            dict(
                after='stages.2',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='stages.3.0',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='stages.3',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
        ],
    )
)
