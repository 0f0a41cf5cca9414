# ImageNet-1k (ILSVRC) in the community metadata format (wsolevaluation
# metadata/ILSVRC; val = ImageNetV2 with boxes, for hyper-parameters and
# thresholds). Same protocol and loaders as CUB.
_base_ = ['./cub_bs32.py']

data_root = 'data/imagenet'
num_classes = 1000

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(data_root=data_root, num_classes=num_classes)
)
val_dataloader = dict(
    dataset=dict(data_root=data_root, num_classes=num_classes)
)
test_dataloader = dict(
    dataset=dict(data_root=data_root, num_classes=num_classes)
)
