_base_ = [
    '../_base_/models/vgg16_cam.py',
    '../_base_/datasets/cub_bs32.py',
    '../_base_/schedules/cub_50e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=200))
# lr for batch 32 (community tuned value for CAM); 10x on the classifier layers via paramwise_cfg
optim_wrapper = dict(optimizer=dict(lr=1.268e-05, weight_decay=0.0005))
