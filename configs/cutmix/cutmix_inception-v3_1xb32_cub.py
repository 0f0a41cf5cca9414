# CutMix: a box of a shuffled image is pasted on every batch (wsolevaluation
# --cutmix_beta 1.0, --cutmix_prob 1.0: no probs = always); the labels mix
# with the area ratio of the clipped box. The model is the CAM one.
_base_ = ['../cam/cam_inception-v3_1xb32_cub.py']

data_preprocessor = dict(
    batch_augments=dict(augments=dict(type='CutMix', alpha=1.0))
)
# The batch augmentation hands one-hot (mixed) scores to the head: soft CE.
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)
    )
)
# lr and 10x groups: the CAM config's (starting point: not the tuned value for
# CutMix; wsolevaluation's tuned values are in a spreadsheet we could not read)
