# CutMix on the synthetic set (TinyWSOLNet, 128 px), with the training budget
# of the CAM demo (12 epochs, same optimizer, schedule and seed).
# CutMix: a box of a shuffled image is pasted on every batch (wsolevaluation
# --cutmix_beta 1.0, --cutmix_prob 1.0: no probs = always); the labels mix
# with the area ratio of the clipped box. The model is the CAM one.
_base_ = ['../cam/cam_tinynet_1xb32_synthetic.py']

data_preprocessor = dict(
    batch_augments=dict(augments=dict(type='CutMix', alpha=1.0))
)
# The batch augmentation hands one-hot (mixed) scores to the head: soft CE.
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)
    )
)
# Budget, optimizer and schedule: the CAM demo config's.
