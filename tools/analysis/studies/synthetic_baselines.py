# The community baselines on the synthetic set (issue #15.3): CAM, HaS, ACoL,
# SPG, ADL and CutMix on TinyWSOLNet, each trained from scratch with the demo
# budget (12 epochs, the same optimizer and schedule), the analogue of
# wsolevaluation's main table. Run with tools/analysis/seed_study.py; with
# --work-dir work_dirs/zoo the CAM model of synthetic_zoo.py is reused (same
# config, same seeds). ACoL is also tested with branch A's CAM alone, to show
# what the fused map adds.
_C = 'configs/'
models = dict(
    cam=dict(
        train=_C + 'cam/cam_tinynet_1xb32_synthetic.py',
        tests=dict(cam=_C + 'cam/cam_tinynet_1xb32_synthetic.py'),
    ),
    has=dict(
        train=_C + 'has/has_tinynet_1xb32_synthetic.py',
        tests=dict(has=_C + 'has/has_tinynet_1xb32_synthetic.py'),
    ),
    acol=dict(
        train=_C + 'acol/acol_tinynet_1xb32_synthetic.py',
        tests=dict(
            acol=_C + 'acol/acol_tinynet_1xb32_synthetic.py',
            acol_branch_a=dict(
                config=_C + 'acol/acol_tinynet_1xb32_synthetic.py',
                cfg_options=['model.localizer.type=CAM'],
            ),
        ),
    ),
    spg=dict(
        train=_C + 'spg/spg_tinynet_1xb32_synthetic.py',
        tests=dict(spg=_C + 'spg/spg_tinynet_1xb32_synthetic.py'),
    ),
    adl=dict(
        train=_C + 'adl/adl_tinynet_1xb32_synthetic.py',
        tests=dict(adl=_C + 'adl/adl_tinynet_1xb32_synthetic.py'),
    ),
    cutmix=dict(
        train=_C + 'cutmix/cutmix_tinynet_1xb32_synthetic.py',
        tests=dict(cutmix=_C + 'cutmix/cutmix_tinynet_1xb32_synthetic.py'),
    ),
)
