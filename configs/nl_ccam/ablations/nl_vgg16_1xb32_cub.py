# Table 7 of Yang et al. (WACV 2020), row 4: non-local blocks at the low and
# high levels, plain CAM maps. Test-time variant of the NL-CCAM model: use the
# checkpoint of ../nl-ccam_vgg16_1xb32_cub.py.
_base_ = ['../nl-ccam_vgg16_1xb32_cub.py']

model = dict(localizer=dict(_delete_=True, type='CAM'))
