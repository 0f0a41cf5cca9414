# Table 6 of Yang et al. (WACV 2020), CUB-200-2011: the NL-CCAM model with the
# linear (eta = 1) combination function. Test-time only: evaluate the
# checkpoint of ../nl-ccam_vgg16_1xb32_cub.py with this config.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(
    localizer=dict(
        combination=dict(_delete_=True, type='Polynomial', degree=1)
    )
)
