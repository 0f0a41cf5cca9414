_base_ = [
    '../_base_/models/resnet50_cam.py',
    '../_base_/datasets/cub_bs32.py',
    '../_base_/schedules/cub_50e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))
# lr for batch 32 (community tuned value); 10x on the classifier layers via paramwise_cfg
optim_wrapper = dict(optimizer=dict(lr=0.00023222, weight_decay=0.0001))
