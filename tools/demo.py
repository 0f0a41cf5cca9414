"""End-to-end demo: synthetic data -> train CAM -> test -> metrics + overlays.

Runs the real tools (``tools/dataset_converters/make_synthetic.py``,
``tools/train.py``, ``tools/test.py``) one after the other, so what the demo
shows is exactly what a user gets from the command line. A second run
resumes from the finished checkpoint and only re-tests.
"""

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
#: Multi-seed reference numbers of the demo model (README's numbers), written
#: by ``tools/analysis/seed_study.py`` (model ``cam``, test ``cam``).
REFERENCE = osp.join(ROOT, 'docs', 'results', 'synthetic_zoo.json')

SUMMARY_KEYS = [
    ('top1_cls', 'Top-1 classification'),
    ('gt_known_loc', 'GT-known Loc (fixed threshold, IoU 50)'),
    ('top1_loc', 'Top-1 Loc (fixed threshold, IoU 50)'),
    ('MaxBoxAccV2', 'MaxBoxAccV2 (IoU 30/50/70)'),
    ('PxAP', 'PxAP (pixel average precision)'),
    ('pIoU', 'pIoU (peak pixel IoU)'),
]


def run(cmd: list) -> None:
    """Run a command from the repository root; stop the demo if it fails."""
    print('[demo] $ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def load_reference(path: str = REFERENCE) -> Optional[dict]:
    """The demo model's multi-seed reference numbers, if recorded.

    Args:
        path (str): The seed-study summary.

    Returns:
        dict, optional: ``mean``, ``std`` (metric -> value), ``n`` (seeds)
        and ``commit``; None when the file or the entry is missing.
    """
    if not osp.isfile(path):
        return None
    with open(path) as f:
        summary = json.load(f)
    entry = summary.get('results', {}).get('cam', {}).get('cam')
    if entry is None:
        return None
    return dict(
        mean=entry['mean'],
        std=entry['std'],
        n=entry['n'],
        commit=summary.get('commit'),
    )


def summary_lines(metrics: dict, reference: Optional[dict]) -> List[str]:
    """The demo's summary: this run's numbers beside the reference.

    Args:
        metrics (dict): The test metrics (keys may carry a prefix).
        reference (dict, optional): See :func:`load_reference`.

    Returns:
        list[str]: The lines to print.
    """
    lines = []
    if reference is not None:
        lines.append(
            f'  {"":<42s} {"this run":>8s}   reference '
            f'(mean ± std, {reference["n"]} seeds)'
        )
    for key, name in SUMMARY_KEYS:
        value = next(
            (v for k, v in metrics.items() if k.rsplit('/', 1)[-1] == key),
            None,
        )
        if value is None:
            continue
        line = f'  {name:<42s} {value:8.2f}'
        if reference is not None and key in reference['mean']:
            line += (
                f'   {reference["mean"][key]:6.2f} ± '
                f'{reference["std"][key]:.2f}'
            )
        lines.append(line)
    if reference is not None:
        lines.append(
            "  (reference: README's seeds on the development machine; other "
            'CPUs give other numbers for the same seed, compare with the '
            'spread)'
        )
    return lines


def main() -> None:
    """Run the demo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--data', default='data/synthetic')
    parser.add_argument('--num-overlays', type=int, default=8)
    args = parser.parse_args()

    start = time.time()
    py = sys.executable
    run([py, 'tools/dataset_converters/make_synthetic.py', '--out', args.data])
    run(
        [
            py,
            'tools/train.py',
            args.config,
            '--work-dir',
            args.work_dir,
            '--resume',
        ]
    )
    last = osp.join(ROOT, args.work_dir, 'last_checkpoint')
    with open(last) as f:
        ckpt = f.read().strip()
    metrics_file = osp.join(args.work_dir, 'metrics.json')
    run(
        [
            py,
            'tools/test.py',
            args.config,
            ckpt,
            '--work-dir',
            args.work_dir,
            '--out',
            metrics_file,
            '--show-dir',
            osp.join(ROOT, args.work_dir, 'overlays'),
            '--show-num',
            str(args.num_overlays),
        ]
    )
    with open(osp.join(ROOT, metrics_file)) as f:
        metrics = json.load(f)
    print('\n[demo] CAM on the synthetic test split (seed 0)')
    for line in summary_lines(metrics, load_reference()):
        print(line)
    overlays = osp.join(args.work_dir, 'overlays')
    print(f'  checkpoint:  {osp.relpath(ckpt, ROOT)}')
    print(f'  metrics:     {metrics_file}')
    print(f'  overlays:    {overlays}/')
    print(f'[demo] done in {time.time() - start:.0f} s')


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
