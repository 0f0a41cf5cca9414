_base_ = [
    '../_base_/models/resnet50_cam.py',
    '../_base_/datasets/openimages_bs32.py',
    '../_base_/schedules/imagenet_10e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=100))
# lr for batch 32 (starting point; tune on val); 10x on the classifier layers via paramwise_cfg
optim_wrapper = dict(optimizer=dict(lr=0.00017, weight_decay=0.0001))
