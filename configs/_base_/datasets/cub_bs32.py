# CUB-200-2011 in the community metadata format
# (tools/dataset_converters/cub.py writes it). Protocol: train
# Resize(256, 256) -> RandomCrop 224 -> HFlip; test Resize(224, 224), no crop.
dataset_type = 'WSOLDataset'
data_root = 'data/cub'
num_classes = 200

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomCrop', crop_size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackWSOLInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/train',
        img_prefix='images',
        localization_file=None,  # weak labels only
        num_classes=num_classes,
        pipeline=train_pipeline,
    ),
    # augmentation = f(seed, epoch, sample index): the same for any number of
    # workers / processes, and exact on resume (mmwsol SeededSampler)
    sampler=dict(type='SeededSampler', shuffle=True),
)
# val = train-fullsup: choose hyper-parameters and thresholds here
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/val',
        img_prefix='images',
        num_classes=num_classes,
        require_localization=True,
        pipeline=test_pipeline,
    ),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='WSOLMetric', iou_thresholds=(30, 50, 70))

test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metadata_dir='metadata/test',
        img_prefix='images',
        num_classes=num_classes,
        require_localization=True,
        pipeline=test_pipeline,
    ),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
