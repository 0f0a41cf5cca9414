"""Train and test configs over several seeds; report mean ± std.

A *study file* (a Python config) names the models to train and, for each,
the test configs to run on its final checkpoint::

    models = dict(
        cam=dict(
            train='configs/cam/cam_tinynet_1xb32_synthetic.py',
            tests=dict(
                cam='configs/cam/cam_tinynet_1xb32_synthetic.py',
                ccam='configs/nl_ccam/ccam-quadratic_tinynet_1xb32_synthetic.py',
                # a test with extra --cfg-options
                gradcam_stage1=dict(
                    config='configs/bagcams/gradcam_tinynet_1xb32_synthetic.py',
                    cfg_options=['model.localizer.layer=backbone.stages.1']),
            )),
    )

For every seed ``S`` it runs the real tools, so every number is what a user
gets from the command line::

    python tools/train.py TRAIN --work-dir WORK/MODEL/seedS --resume \\
        --cfg-options randomness.seed=S
    python tools/test.py TEST WORK/MODEL/seedS/<last checkpoint> \\
        --out WORK/MODEL/seedS/TEST_NAME.json

Finished trainings and tests are skipped on a second run (an interrupted
training resumes), so a study can be stopped and continued without losing
work. The summary (``--out``, JSON) holds every seed's metrics and their mean
and sample standard deviation (``ddof=1``); a Markdown table is printed.

Examples::

    python tools/analysis/seed_study.py \\
        tools/analysis/studies/synthetic_zoo.py --seeds 0 1 2 \\
        --work-dir work_dirs/zoo --out docs/results/synthetic_zoo.json
    python tools/analysis/seed_study.py \\
        tools/analysis/studies/synthetic_zoo.py \\
        --seeds 0 --only cam --work-dir work_dirs/zoo
"""

import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

#: Metric columns of the printed tables (short key, column title).
COLUMNS = (
    ('MaxBoxAccV2', 'MaxBoxAccV2'),
    ('PxAP', 'PxAP'),
    ('gt_known_loc', 'GT-known Loc'),
    ('top1_loc', 'Top-1 Loc'),
    ('pIoU', 'pIoU'),
    ('top1_cls', 'Top-1 Cls'),
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Train and test configs over seeds (mean ± std)'
    )
    parser.add_argument('study', help='study file (Python config)')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2], help='seeds'
    )
    parser.add_argument(
        '--work-dir', default='work_dirs/seed_study', help='work folder'
    )
    parser.add_argument(
        '--only', nargs='+', help='run only these models of the study'
    )
    parser.add_argument(
        '--retest',
        nargs='+',
        default=[],
        help='run these tests again even when their results exist (e.g. '
        'after a test-time default changed)',
    )
    parser.add_argument(
        '--collect-only',
        action='store_true',
        help='run nothing: summarise the results already in the work dir '
        '(an error names the first missing one)',
    )
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='with --collect-only: a model summarises the seeds it has '
        '(each entry records its seeds and n) instead of an error',
    )
    parser.add_argument('--out', help='write the summary JSON here')
    parser.add_argument(
        '--data',
        default='data/synthetic',
        help='make the synthetic set here first if it is missing ('
        '"none" to skip)',
    )
    return parser.parse_args(argv)


def load_study(path: str) -> Dict[str, dict]:
    """Read and check a study file.

    Args:
        path (str): The study file.

    Returns:
        dict: ``{model: dict(train=str, tests={name: dict(config=str,
        cfg_options=list)})}``.

    Raises:
        ValueError: If the file does not define ``models`` as described in
            the module docstring, or names a config that does not exist.
    """
    from mmengine.config import Config

    cfg = Config.fromfile(path)
    models = cfg.get('models')
    if not isinstance(models, dict) or not models:
        raise ValueError(
            f'{path}: the study must define a non-empty dict '
            '`models = dict(name=dict(train=..., tests=...))`.'
        )
    study = {}
    for name, model in models.items():
        if 'train' not in model or not model.get('tests'):
            raise ValueError(
                f'{path}: models.{name} needs `train` (a config '
                'path) and `tests` (a dict of test configs).'
            )
        tests = {}
        for test_name, test in model['tests'].items():
            if isinstance(test, str):
                test = dict(config=test)
            tests[test_name] = dict(
                config=test['config'],
                cfg_options=list(test.get('cfg_options', [])),
            )
        for where, config in [(f'models.{name}.train', model['train'])] + [
            (f'models.{name}.tests.{t}', v['config']) for t, v in tests.items()
        ]:
            if not osp.isfile(osp.join(ROOT, config)):
                raise ValueError(
                    f'{path}: {where} names {config!r}, which does not exist.'
                )
        study[name] = dict(train=model['train'], tests=tests)
    return study


def run(cmd: List[str]) -> None:
    """Run a command from the repository root; stop if it fails."""
    print('[seed_study] $ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def final_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``last_checkpoint`` in ``work_dir``."""
    last = osp.join(ROOT, work_dir, 'last_checkpoint')
    if not osp.isfile(last):
        return None
    with open(last) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def short_metrics(metrics: Dict[str, float]) -> Dict[str, float]:
    """Drop the metric prefixes (``wsol/MaxBoxAccV2`` -> ``MaxBoxAccV2``)."""
    out = {}
    for key, value in metrics.items():
        short = key.rsplit('/', 1)[-1]
        if short in out:
            raise ValueError(
                f'two metrics end with {short!r}: rename one '
                '(e.g. with the metric prefix).'
            )
        out[short] = float(value)
    return out


def summarize(per_seed: Dict[int, Dict[str, float]]) -> dict:
    """Mean and sample standard deviation of every metric over the seeds.

    Args:
        per_seed (dict): ``{seed: {metric: value}}``.

    Returns:
        dict: ``per_seed``, ``mean``, ``std`` (0 with one seed) and ``n``.
    """
    keys = sorted(set.intersection(*(set(m) for m in per_seed.values())))
    mean, std = {}, {}
    for key in keys:
        values = [per_seed[s][key] for s in sorted(per_seed)]
        mean[key] = statistics.fmean(values)
        std[key] = statistics.stdev(values) if len(values) > 1 else 0.0
    return dict(
        per_seed={str(s): m for s, m in sorted(per_seed.items())},
        mean=mean,
        std=std,
        n=len(per_seed),
    )


def markdown(
    results: Dict[str, Dict[str, dict]], columns: Sequence = COLUMNS
) -> str:
    """Markdown tables (one per model) of mean ± std."""
    lines = []
    for model, tests in results.items():
        lines += [
            f'\n{model}:\n',
            '| test | ' + ' | '.join(c[1] for c in columns) + ' |',
            '|---' * (len(columns) + 1) + '|',
        ]
        for test, summary in tests.items():
            cells = []
            for key, _ in columns:
                if key in summary['mean']:
                    cells.append(
                        f'{summary["mean"][key]:.2f} ± '
                        f'{summary["std"][key]:.2f}'
                    )
                else:
                    cells.append('–')
            lines.append(f'| {test} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def git_commit() -> Optional[str]:
    """The current commit of the repository (None outside git)."""
    try:
        out = subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the study; return the summary."""
    args = parse_args(argv)
    study = load_study(args.study)
    if args.only:
        unknown = sorted(set(args.only) - set(study))
        if unknown:
            raise SystemExit(
                f'error: --only names {unknown}, not models of '
                f'{args.study} ({sorted(study)}).'
            )
        study = {k: v for k, v in study.items() if k in args.only}
    py = sys.executable
    if args.data != 'none' and not args.collect_only:
        run(
            [
                py,
                'tools/dataset_converters/make_synthetic.py',
                '--out',
                args.data,
            ]
        )
    results: Dict[str, Dict[str, dict]] = {}
    for model, spec in study.items():
        per_test: Dict[str, Dict[int, dict]] = {t: {} for t in spec['tests']}
        for seed in args.seeds:
            work = osp.join(args.work_dir, model, f'seed{seed}')
            if args.collect_only:
                for test in spec['tests']:
                    out = osp.join(ROOT, work, f'{test}.json')
                    if not osp.isfile(out):
                        if args.allow_missing:
                            continue
                        raise SystemExit(
                            f'error: --collect-only: {out} is '
                            'missing; run the study first (or '
                            'pass --allow-missing).'
                        )
                    with open(out) as f:
                        per_test[test][seed] = short_metrics(json.load(f))
                continue
            run(
                [
                    py,
                    'tools/train.py',
                    spec['train'],
                    '--work-dir',
                    work,
                    '--resume',
                    '--cfg-options',
                    f'randomness.seed={seed}',
                ]
            )
            ckpt = final_checkpoint(work)
            if ckpt is None:
                raise SystemExit(
                    f'error: no checkpoint in {work} after training.'
                )
            for test, test_spec in spec['tests'].items():
                out = osp.join(ROOT, work, f'{test}.json')
                if test in args.retest or not (
                    osp.isfile(out) and osp.getmtime(out) >= osp.getmtime(ckpt)
                ):
                    cmd = [
                        py,
                        'tools/test.py',
                        test_spec['config'],
                        ckpt,
                        '--work-dir',
                        work,
                        '--out',
                        out,
                    ]
                    if test_spec['cfg_options']:
                        cmd += ['--cfg-options'] + test_spec['cfg_options']
                    run(cmd)
                with open(out) as f:
                    per_test[test][seed] = short_metrics(json.load(f))
        missing = [t for t, v in per_test.items() if not v]
        if missing:
            raise SystemExit(
                f'error: no seed of {model}.{missing[0]} has results.'
            )
        results[model] = {t: summarize(v) for t, v in per_test.items()}
    summary = dict(
        study=osp.relpath(osp.abspath(args.study), ROOT),
        seeds=list(args.seeds),
        commit=git_commit(),
        command=' '.join(
            ['python', 'tools/analysis/seed_study.py']
            + (argv if argv is not None else sys.argv[1:])
        ),
        results=results,
    )
    print(markdown(results))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=1)
            f.write('\n')
        print(f'[seed_study] summary written to {args.out}')
    return summary


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    main()
