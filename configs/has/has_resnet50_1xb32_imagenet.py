# Hide-and-Seek: each 4x4-pixel cell of each normalised training image is
# hidden (set to 0 = the mean) with probability 0.5 (wsolevaluation
# --has_grid_size 4, --has_drop_rate 0.5). The model is the CAM one.
_base_ = ['../cam/cam_resnet50_1xb32_imagenet.py']

data_preprocessor = dict(
    batch_augments=dict(
        augments=dict(type='HideAndSeek', grid_size=4, drop_rate=0.5)
    )
)
# The batch augmentation hands one-hot (mixed) scores to the head: soft CE.
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)
    )
)
# lr and 10x groups: the CAM config's (starting point: not the tuned value for
# HaS; wsolevaluation's tuned values are in a spreadsheet we could not read)
