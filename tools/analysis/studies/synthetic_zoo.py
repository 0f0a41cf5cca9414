# The synthetic zoo: every method of the README's zoo on TinyWSOLNet, trained
# from scratch on the embedded synthetic set (demo budget, 12 epochs).
# Run with tools/analysis/seed_study.py (see its docstring); the summary JSON
# docs/results/synthetic_zoo.json is what README and the method READMEs cite.
_C = 'configs/'
_R = _C + 'rethinking_cam/'
models = dict(
    # GAP / CAM model: CAM, CCAM, NWC, PaS and the gradient localizers
    cam=dict(
        train=_C + 'cam/cam_tinynet_1xb32_synthetic.py',
        tests=dict(
            cam=_C + 'cam/cam_tinynet_1xb32_synthetic.py',
            ccam_quadratic=_C
            + 'nl_ccam/ccam-quadratic_tinynet_1xb32_synthetic.py',
            ccam_top1_bottom1=_C
            + 'nl_ccam/ccam-top1-bottom1_tinynet_1xb32_synthetic.py',
            nwc=_R + 'rethinking-cam-nwc_tinynet_1xb32_synthetic.py',
            pas=_R + 'rethinking-cam-pas_tinynet_1xb32_synthetic.py',
            nwc_pas=_R + 'rethinking-cam-nwc-pas_tinynet_1xb32_synthetic.py',
            gradcam=_C + 'bagcams/gradcam_tinynet_1xb32_synthetic.py',
            gradcampp=_C + 'bagcams/gradcampp_tinynet_1xb32_synthetic.py',
            pcs=_C + 'bagcams/pcs_tinynet_1xb32_synthetic.py',
            bagcams=_C + 'bagcams/bagcams_tinynet_1xb32_synthetic.py',
            gradcampp_stage2=_C
            + 'bagcams/gradcampp-stage2_tinynet_1xb32_synthetic.py',
            bagcams_stage2=_C
            + 'bagcams/bagcams-stage2_tinynet_1xb32_synthetic.py',
        ),
    ),
    # TAP model: TAP alone and with NWC / PaS (all three = Rethinking CAM)
    tap=dict(
        train=_R + 'rethinking-cam-tap_tinynet_1xb32_synthetic.py',
        tests=dict(
            tap=_R + 'rethinking-cam-tap_tinynet_1xb32_synthetic.py',
            tap_nwc=_R + 'rethinking-cam-tap-nwc_tinynet_1xb32_synthetic.py',
            tap_pas=_R + 'rethinking-cam-tap-pas_tinynet_1xb32_synthetic.py',
            rethinking_cam=_R + 'rethinking-cam_tinynet_1xb32_synthetic.py',
        ),
    ),
    # non-local model: its CAM maps and NL-CCAM
    nl_ccam=dict(
        train=_C + 'nl_ccam/nl-ccam_tinynet_1xb32_synthetic.py',
        tests=dict(
            nl_cam=_C + 'nl_ccam/nl_tinynet_1xb32_synthetic.py',
            nl_ccam=_C + 'nl_ccam/nl-ccam_tinynet_1xb32_synthetic.py',
        ),
    ),
    # SPA without RAM: baseline and baseline + SCG
    spa_baseline=dict(
        train=_C + 'spa/ablations/spa-baseline_tinynet_1xb32_synthetic.py',
        tests=dict(
            baseline=_C
            + 'spa/ablations/spa-baseline_tinynet_1xb32_synthetic.py',
            baseline_scg=_C
            + 'spa/ablations/spa-baseline-scg_tinynet_1xb32_synthetic.py',
        ),
    ),
    # SPA with RAM: RAM alone and RAM + SCG (SPA)
    spa=dict(
        train=_C + 'spa/spa_tinynet_1xb32_synthetic.py',
        tests=dict(
            ram=_C + 'spa/ablations/spa-ram_tinynet_1xb32_synthetic.py',
            spa=_C + 'spa/spa_tinynet_1xb32_synthetic.py',
        ),
    ),
)
