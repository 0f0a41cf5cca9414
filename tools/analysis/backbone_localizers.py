"""Which localizer runs on which backbone, as measured: every localizer of
mmwsol on every family of the backbone matrix.

The backbones, their middle layer and input size are the cases of
``tests/test_models/test_backbone_matrix.py`` (tiny architectures at their
default output settings, 64 px; Swin at 224). Each model is a
``WSOLClassifier`` with a ``CAMHead`` (a ``TSCAMHead`` for ``TSCAM``, ViT and
DeiT only), random weights; the gradient localizers take the case's layer.
A cell is ``ok`` when ``predict`` gives maps of shape ``(H, W)`` that are
finite and in ``[0, 1]``, else the error. Prints a markdown table.

Example::

    python tools/analysis/backbone_localizers.py
    python tools/analysis/backbone_localizers.py --backbones ResNet DeiT
"""

import argparse
import importlib.util
import logging
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MATRIX = osp.join(ROOT, 'tests', 'test_models', 'test_backbone_matrix.py')

# localizer: extra arguments (cheap settings: few noise samples, one
# masked batch)
LOCALIZERS: Dict[str, dict] = {
    'CAM': {},
    'CCAM': {},
    'GradCAM': {},
    'GradCAMPlusPlus': {},
    'LayerCAM': {},
    'XGradCAM': {},
    'ScoreCAM': dict(batch_size=256),
    'SmoothGradCAMpp': dict(n_samples=4),
    'PCS': {},
    'BagCAMs': {},
    'TSCAM': {},
}
NEEDS_LAYER = (
    'GradCAM',
    'GradCAMPlusPlus',
    'LayerCAM',
    'XGradCAM',
    'ScoreCAM',
    'SmoothGradCAMpp',
    'PCS',
    'BagCAMs',
)
TOKEN_CLASSIFIERS = ('ViT', 'DeiT')  # TSCAM: a class token and attention


def load_cases() -> dict:
    """The backbone matrix: name -> (backbone, channels, layer, size[,
    neck])."""
    spec = importlib.util.spec_from_file_location('backbone_matrix', MATRIX)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def run_cell(case: tuple, localizer: str) -> str:
    """``'ok'`` or the error of one localizer on one backbone case."""
    backbone, channels, layer, size, *neck = case
    head = 'TSCAMHead' if localizer == 'TSCAM' else 'CAMHead'
    cfg = dict(type=localizer, **LOCALIZERS[localizer])
    if localizer in NEEDS_LAYER:
        cfg['layer'] = layer
    init_default_scope('mmwsol')
    torch.manual_seed(0)
    try:
        model = MODELS.build(
            dict(
                type='WSOLClassifier',
                backbone=backbone,
                neck=neck[0] if neck else None,
                head=dict(type=head, num_classes=3, in_channels=channels),
                localizer=cfg,
            )
        ).eval()
        samples = [DataSample().set_gt_label(label) for label in (0, 2)]
        with torch.no_grad():
            out = model.predict(torch.randn(2, 3, size, size), samples)
    except Exception as err:  # the table reports any failure
        return f'{type(err).__name__}: {str(err)[:60]}'.replace('|', '/')
    maps = torch.stack([o.gt_cam for o in out])
    good = (
        maps.shape == (2, size, size)
        and bool(torch.isfinite(maps).all())
        and maps.min() >= 0
        and maps.max() <= 1
    )
    return 'ok' if good else f'bad maps {tuple(maps.shape)}'


def table_row(name: str, case: tuple) -> str:
    """One markdown row: the backbone, its layer, a cell per localizer."""
    cells = [
        'n/a'
        if loc == 'TSCAM' and name not in TOKEN_CLASSIFIERS
        else run_cell(case, loc)
        for loc in LOCALIZERS
    ]
    return f'| {name} (`{case[2]}`) | ' + ' | '.join(cells) + ' |'


def header() -> List[str]:
    """The table's header lines."""
    return [
        '| Backbone (`layer=`) | ' + ' | '.join(LOCALIZERS) + ' |',
        '|---' * (len(LOCALIZERS) + 1) + '|',
    ]


def main(argv: Optional[List[str]] = None) -> None:
    cases = load_cases()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--backbones',
        nargs='+',
        default=list(cases),
        choices=list(cases),
        help='backbone cases to run (default: all)',
    )
    args = parser.parse_args(argv)
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    print('\n'.join(header()))
    for name in args.backbones:
        print(table_row(name, cases[name]), flush=True)


if __name__ == '__main__':
    main()
