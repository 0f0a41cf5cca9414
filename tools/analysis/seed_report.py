"""Tables from a seed-study summary (``tools/analysis/seed_study.py --out``).

Prints, as Markdown, without running anything:

- mean ± std of every test of the chosen models (``--models``; all by
  default) for the chosen metrics (``--metrics``);
- with ``--per-seed``, the value of each seed for those metrics;
- with ``--pair BASE NEW`` (each ``model.test``, repeatable), the paired
  difference NEW − BASE on each seed (same seed = same training run when the
  model is the same): mean, [min, max] and on how many seeds NEW > BASE.

Examples::

    python tools/analysis/seed_report.py docs/results/synthetic_zoo.json \\
        --models cam --metrics MaxBoxAccV2 PxAP --per-seed \\
        --pair cam.cam cam.ccam_quadratic --pair cam.cam cam.bagcams
"""

import argparse
import json
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

DEFAULT_METRICS = (
    'MaxBoxAccV2',
    'PxAP',
    'gt_known_loc',
    'top1_loc',
    'pIoU',
    'top1_cls',
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('summary', help='summary JSON of seed_study.py')
    parser.add_argument('--models', nargs='+', help='models to report')
    parser.add_argument(
        '--metrics', nargs='+', default=list(DEFAULT_METRICS), help='metrics'
    )
    parser.add_argument(
        '--per-seed', action='store_true', help="also each seed's value"
    )
    parser.add_argument(
        '--pair',
        nargs=2,
        action='append',
        default=[],
        metavar=('BASE', 'NEW'),
        help='paired difference NEW - BASE (model.test names)',
    )
    return parser.parse_args(argv)


def lookup(results: Dict[str, Dict[str, dict]], name: str) -> dict:
    """The summary of ``model.test``.

    Raises:
        KeyError: With the known names, if ``name`` is not in the summary.
    """
    model, _, test = name.partition('.')
    if model not in results or test not in results[model]:
        known = [f'{m}.{t}' for m in results for t in results[m]]
        raise KeyError(f'{name!r} is not in the summary; known: {known}')
    return results[model][test]


def paired_difference(
    base: dict, new: dict, metric: str
) -> Tuple[float, float, float, int, int]:
    """NEW − BASE of ``metric`` over the seeds both have.

    Args:
        base (dict): Summary of the base test (``per_seed`` is used).
        new (dict): Summary of the new test.
        metric (str): The metric.

    Returns:
        tuple: mean, min, max of the differences, the number of seeds with
        a positive difference, and the number of seeds.
    """
    seeds = sorted(set(base['per_seed']) & set(new['per_seed']), key=int)
    if not seeds:
        raise ValueError('the two tests share no seed')
    diffs = [
        new['per_seed'][s][metric] - base['per_seed'][s][metric] for s in seeds
    ]
    return (
        statistics.fmean(diffs),
        min(diffs),
        max(diffs),
        sum(d > 0 for d in diffs),
        len(diffs),
    )


def mean_std_table(tests: Dict[str, dict], metrics: Sequence[str]) -> str:
    """One Markdown table: a row per test, mean ± std per metric."""
    lines = [
        '| test | ' + ' | '.join(metrics) + ' |',
        '|---' * (len(metrics) + 1) + '|',
    ]
    for test, summary in tests.items():
        cells = [
            f'{summary["mean"][m]:.2f} ± {summary["std"][m]:.2f}'
            if m in summary['mean']
            else '–'
            for m in metrics
        ]
        lines.append(f'| {test} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def per_seed_table(tests: Dict[str, dict], metrics: Sequence[str]) -> str:
    """One Markdown table: a row per test, ``a / b`` (metrics) per seed."""
    seeds = sorted({s for t in tests.values() for s in t['per_seed']}, key=int)
    lines = [
        '| test ('
        + ' / '.join(metrics)
        + ') | '
        + ' | '.join(f'seed {s}' for s in seeds)
        + ' |',
        '|---' * (len(seeds) + 1) + '|',
    ]
    for test, summary in tests.items():
        cells = []
        for s in seeds:
            values = summary['per_seed'].get(s)
            cells.append(
                '–'
                if values is None
                else ' / '.join(
                    f'{values[m]:.2f}' if m in values else '–' for m in metrics
                )
            )
        lines.append(f'| {test} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def report(
    summary: dict,
    models: Optional[Sequence[str]] = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    per_seed: bool = False,
    pairs: Sequence[Sequence[str]] = (),
) -> str:
    """The whole report as Markdown text (see the module docstring)."""
    results = summary['results']
    models = list(results) if not models else list(models)
    out = [
        f'Seeds {summary.get("seeds")}, commit {summary.get("commit")}, '
        f'`{summary.get("command")}`'
    ]
    for model in models:
        if model not in results:
            raise KeyError(
                f'model {model!r} is not in the summary; known: '
                f'{list(results)}'
            )
        out += [
            '',
            f'**{model}** (mean ± std)',
            '',
            mean_std_table(results[model], metrics),
        ]
        if per_seed:
            out += [
                '',
                f'**{model}** per seed',
                '',
                per_seed_table(results[model], metrics),
            ]
    if pairs:
        out += [
            '',
            '| NEW − BASE | ' + ' | '.join(metrics) + ' |',
            '|---' * (len(metrics) + 1) + '|',
        ]
        for base, new in pairs:
            cells = []
            for m in metrics:
                mean, lo, hi, up, n = paired_difference(
                    lookup(results, base), lookup(results, new), m
                )
                cells.append(f'{mean:+.2f} [{lo:+.2f}, {hi:+.2f}] {up}/{n}↑')
            out.append(f'| {new} − {base} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(out)


def main(argv: Optional[List[str]] = None) -> None:
    """Print the report."""
    args = parse_args(argv)
    with open(args.summary) as f:
        summary = json.load(f)
    try:
        print(
            report(
                summary, args.models, args.metrics, args.per_seed, args.pair
            )
        )
    except (KeyError, ValueError) as error:
        raise SystemExit(f'error: {error}')


if __name__ == '__main__':
    main()
