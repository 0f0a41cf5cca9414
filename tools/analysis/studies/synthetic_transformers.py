# The synthetic transformer study (issue #14.6): TS-CAM vs CAM and Grad-CAM
# on a DeiT-Tiny-sized transformer (embed 192, 12 layers, 3 heads, patch 16)
# trained from scratch on the embedded synthetic set, CPU budget (5 epochs).
# Run with tools/analysis/seed_study.py (see its docstring); the summary JSON
# docs/results/synthetic_transformers.json is what configs/ts_cam/README.md
# cites.
_T = 'configs/ts_cam/'
_TS = _T + 'ts-cam_deit-tiny-p16_1xb32_synthetic.py'
_CAM = _T + 'cam_deit-tiny-p16_1xb32_synthetic.py'
_GRAD = _T + 'gradcam_deit-tiny-p16_1xb32_synthetic.py'
models = dict(
    # TS-CAM model (3x3 conv head): TS-CAM, and its semantic maps alone
    # (the plain CAM localizer on the conv output: TS-CAM without the
    # class token attention)
    ts_cam=dict(
        train=_TS,
        tests=dict(
            ts_cam=_TS,
            semantic_only=dict(
                config=_TS,
                cfg_options=[
                    'model.localizer.type=CAM',
                    'model.localizer.upsample=bilinear',
                ],
            ),
        ),
    ),
    # CAM model (GAP + linear head): CAM, Grad-CAM on the last block and on
    # a middle block
    cam=dict(
        train=_CAM,
        tests=dict(
            cam=_CAM,
            gradcam_block11=_GRAD,
            gradcam_block5=dict(
                config=_GRAD,
                cfg_options=['model.localizer.layer=backbone.layers.5'],
            ),
        ),
    ),
)
