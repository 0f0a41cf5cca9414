# The embedded synthetic WSOL dataset (mmwsol.synthetic; made by
# tools/dataset_converters/make_synthetic.py --out data/synthetic).
# 128x128 images, so the protocol is scaled: train Resize(146, 146) ->
# RandomCrop 128 -> HFlip (256/224 = 146/128); test Resize(128, 128).
dataset_type = 'WSOLDataset'
data_root = 'data/synthetic'
num_classes = 6

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(146, 146), keep_ratio=False),
    dict(type='RandomCrop', crop_size=128),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackWSOLInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(128, 128), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/train',
        img_prefix='images',
        localization_file=None,  # weak labels only
        num_classes=num_classes,
        classes=data_root + '/classes.txt',
        pipeline=train_pipeline,
    ),
    # augmentation = f(seed, epoch, sample index): the same for any number of
    # workers / processes, and exact on resume (mmwsol SeededSampler)
    sampler=dict(type='SeededSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/val',
        img_prefix='images',
        num_classes=num_classes,
        classes=data_root + '/classes.txt',
        require_localization=True,
        pipeline=test_pipeline,
    ),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='WSOLMetric', iou_thresholds=(30, 50, 70))

# the test split also carries masks (localization_mask.txt) for PxAP
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/test',
        img_prefix='images',
        mask_file='localization_mask.txt',
        mask_prefix='masks',
        num_classes=num_classes,
        classes=data_root + '/classes.txt',
        require_localization=True,
        pipeline=test_pipeline,
    ),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = [
    dict(type='WSOLMetric', iou_thresholds=(30, 50, 70)),
    dict(type='WSOLMaskMetric', classification=False),
]
