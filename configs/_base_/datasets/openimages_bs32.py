# OpenImages30k (wsolevaluation split) in the community metadata format:
# localization.txt holds masks (`path,mask.png,ignore.png`) relative to
# `masks/`; evaluated with pixel metrics (PxAP).
_base_ = ['./cub_bs32.py']

data_root = 'data/openimages'
num_classes = 100

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(data_root=data_root, num_classes=num_classes)
)
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, num_classes=num_classes, mask_prefix='masks'
    )
)
test_dataloader = dict(
    dataset=dict(
        data_root=data_root, num_classes=num_classes, mask_prefix='masks'
    )
)

# pixel-level evaluation (PxAP, peak IoU) on the masks
val_evaluator = dict(type='WSOLMaskMetric', _delete_=True)
test_evaluator = val_evaluator
