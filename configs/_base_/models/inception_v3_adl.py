# InceptionV3 ADL (wsolevaluation wsol/inception.py InceptionAdl): the CAM
# InceptionV3 with an ADL layer after Mixed_5d (before the extra pooling),
# after Mixed_6e and after the second head conv + ReLU (spg.relu2). The
# reference's ADL InceptionV3 has no dropout in the head convs, hence
# ``dropout=0.0`` (the CAM config keeps 0.5). Feature map size as the CAM
# config (``large_feature_map=True``: 28x28 at 224 input).
model = dict(
    type='WSOLClassifier',
    backbone=dict(
        type='InsertLayers',
        backbone=dict(
            type='WSOLInceptionV3', large_feature_map=True, dropout=0.0
        ),
        insert=[
            dict(
                after='Mixed_5d',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='Mixed_6e',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
            dict(
                after='spg.relu2',
                module=dict(type='ADL', drop_rate=0.75, drop_threshold=0.9),
            ),
        ],
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'inception-v3/inception-v3_3rdparty_8xb32_in1k_20220615-dcd4d910.pth',
            prefix='backbone.',
        ),
    ),
    head=dict(
        type='CAMHead',
        num_classes=1000,
        in_channels=1024,
        pool=dict(type='GAP'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ),
    localizer=dict(type='CAM'),
    topk_maps=0,  # the metrics read gt_cam only; see WSOLClassifier
)
