# Table 6 of Yang et al. (WACV 2020), ILSVRC: the NL-CCAM model with the
# constant (eta = 0) combination function. Test-time only: evaluate the
# checkpoint of ../nl-ccam_vgg16_1xb32_imagenet.py with this config.
_base_ = ['../nl-ccam_vgg16_1xb32_imagenet.py']

model = dict(
    localizer=dict(
        combination=dict(_delete_=True, type='Polynomial', degree=0)
    )
)
