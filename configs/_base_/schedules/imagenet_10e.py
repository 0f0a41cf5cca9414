# Community recipe for ImageNet / OpenImages: 10 epochs, lr x0.1 every 3
# epochs, SGD with nesterov momentum 0.9, batch 32 (on one GPU).
optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=1e-5, momentum=0.9, weight_decay=5e-4, nesterov=True
    )
)
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=3, gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr values in the method configs are for a total batch size of 32
auto_scale_lr = dict(base_batch_size=32)
