"""Plot WSOL evaluation curves: box accuracy vs CAM threshold, pixel PR.

A curves file holds the box curves (``WSOLMetric``), the mask curves
(``WSOLMaskMetric``) or both as ``{"box": ..., "mask": ...}`` (one file per
run, see :mod:`mmwsol.evaluation.metrics.curves_file`); each kind present
gets its panel.

Example::

    python tools/analysis/plot_curves.py cam/curves.json spa/curves.json \\
        --labels CAM SPA --out compare.png
"""

import argparse
import os.path as osp
from typing import List, Optional

from mmwsol.visualization.curves import load_curves, plot_curves, save_figure


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Draw the curves JSON files written by WSOLMetric / '
        'WSOLMaskMetric (curves_file=...; both metrics of a run may share '
        'one file, which then holds {"box": ..., "mask": ...}), '
        'tools/test.py --report (DIR/curves.json) or eval_scoremaps.py '
        '--curves: '
        'box accuracy vs CAM threshold per IoU threshold (best threshold '
        'marked) and the pixel precision-recall curve (PxAP in the '
        'legend); several files are drawn on the same axes.'
    )
    parser.add_argument('curves', nargs='+', help='curves JSON file(s)')
    parser.add_argument(
        '--out',
        required=True,
        help='output image (PNG, or another format by extension)',
    )
    parser.add_argument(
        '--labels',
        nargs='+',
        help='one name per file (default: the file names '
        'when several files are given)',
    )
    parser.add_argument(
        '--dpi',
        type=int,
        default=100,
        help='resolution; a panel is 6.4 x 4.8 inches',
    )
    parsed = parser.parse_args(args)
    if parsed.labels is not None and len(parsed.labels) != len(parsed.curves):
        parser.error(
            f'{len(parsed.labels)} labels for '
            f'{len(parsed.curves)} curves files'
        )
    return parsed


def default_labels(paths: List[str]) -> Optional[List[str]]:
    """File names without extension (None for a single file)."""
    if len(paths) == 1:
        return None
    names = [osp.splitext(osp.basename(p))[0] for p in paths]
    if len(set(names)) < len(names):  # e.g. run_a/curves.json, run_b/...
        names = [osp.splitext(osp.normpath(p))[0] for p in paths]
    return names


def main(args: Optional[List[str]] = None) -> str:
    """Draw the figure; returns the output path."""
    args = parse_args(args)
    curves = [load_curves(path) for path in args.curves]
    labels = args.labels or default_labels(args.curves)
    fig = plot_curves(curves, labels, dpi=args.dpi)
    save_figure(fig, args.out)
    print(f'figure written to {args.out}')
    return args.out


if __name__ == '__main__':
    main()
