_base_ = [
    '../_base_/models/inception_v3_cam.py',
    '../_base_/datasets/imagenet_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=1000))
# lr for batch 32 (starting point; tune on val); 10x on the classifier layers via paramwise_cfg
optim_wrapper = dict(optimizer=dict(lr=0.000126, weight_decay=0.0005))
