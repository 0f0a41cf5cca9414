"""Build the HTML report of a finished run from its files.

``tools/test.py --report DIR`` writes the page while testing. This tool
builds the same kind of page afterwards from what a run left on disk: the
metrics (``tools/test.py --out metrics.json``), curves files, the
per-class rows of a report's ``samples.json``, and folders of overlays
(e.g. ``--show-dir best --show-order best``), drawn in file-name order.

Example::

    python tools/test.py CONFIG CKPT --out run/metrics.json \\
        --show-dir run/best --show-order best \\
        --cfg-options test_evaluator.curves_file=run/curves.json
    python tools/analysis/report.py --metrics run/metrics.json \\
        --curves run/curves.json --best run/best --out run/report.html
"""

import argparse
import glob
import json
import os
import os.path as osp
from typing import List, Optional

import cv2

from mmwsol.visualization.curves import load_curves
from mmwsol.visualization.report import GalleryItem, render_report


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Write one self-contained HTML page (metrics, curves, '
        'per-class accuracy, error analysis, galleries) from the files of '
        'a finished run.'
    )
    parser.add_argument(
        '--metrics', required=True, help='metrics JSON (tools/test.py --out)'
    )
    parser.add_argument('--curves', nargs='*', default=[], help='curves JSON')
    parser.add_argument(
        '--samples', help="a report's samples.json (per-class rows)"
    )
    parser.add_argument('--best', help='folder of best-localized overlays')
    parser.add_argument('--worst', help='folder of worst-localized overlays')
    parser.add_argument('--title', help='page title (default: metrics dir)')
    parser.add_argument('--out', required=True, help='output .html file')
    return parser.parse_args(args)


def _read_json(path: str, what: str) -> dict:
    if not osp.isfile(path):
        raise SystemExit(f'error: {what} file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise SystemExit(f'error: {path} is not valid JSON: {error}')


def read_gallery(folder: Optional[str]) -> List[GalleryItem]:
    """The PNG / JPEG overlays of a folder, in file-name order."""
    if folder is None:
        return []
    if not osp.isdir(folder):
        raise SystemExit(f'error: overlay folder not found: {folder}')
    items = []
    for path in sorted(glob.glob(osp.join(folder, '*'))):
        if not path.lower().endswith(('.png', '.jpg', '.jpeg')):
            continue
        image = cv2.imread(path)
        if image is None:
            raise SystemExit(f'error: unreadable image: {path}')
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        items.append(GalleryItem(rgb, osp.splitext(osp.basename(path))[0]))
    return items


def main(args: Optional[List[str]] = None) -> str:
    """Write the page; returns its path."""
    args = parse_args(args)
    metrics = _read_json(args.metrics, 'metrics')
    try:
        curves = [load_curves(path) for path in args.curves]
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    per_class = []
    if args.samples:
        per_class = _read_json(args.samples, 'samples').get('per_class', [])
    title = args.title or osp.basename(osp.dirname(osp.abspath(args.metrics)))
    page = render_report(
        title,
        metrics,
        curves,
        per_class,
        read_gallery(args.best),
        read_gallery(args.worst),
    )
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(page)
    print(f'report written to {args.out}')
    return args.out


if __name__ == '__main__':
    main()
