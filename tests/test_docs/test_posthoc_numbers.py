"""configs/bagcams/README.md's table S6 quotes the recorded runs of the
post-hoc CAMs on the synthetic CAM checkpoints
(``docs/results/posthoc_cams_synthetic.json``, written by the README's
snippet): a number edited by hand, or runs redone without updating the
table, fails here."""

import json
import os.path as osp
import statistics

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
RESULTS = osp.join(ROOT, 'docs', 'results', 'posthoc_cams_synthetic.json')
README = osp.join(ROOT, 'configs', 'bagcams', 'README.md')
METHODS = ('layercam', 'xgradcam', 'smooth-gradcampp', 'scorecam')
PER_SEED = ('MaxBoxAccV2', 'PxAP', 'pIoU')


def _cell(values):
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f}'


def test_table_s6_rows_are_the_recorded_runs():
    with open(RESULTS) as f:
        recorded = json.load(f)
    with open(README) as f:
        lines = f.read().splitlines()
    names = [n for n in recorded['results'] if n.split('_')[0] in METHODS]
    assert {'layercam', 'xgradcam', 'layercam_stage2'} <= set(names)
    for name in names:
        runs = recorded['results'][name]
        cells = [
            _cell([runs[s][k] for s in sorted(runs)])
            for k in recorded['metrics']
        ]
        cells += [
            ' / '.join(f'{runs[s][k]:.2f}' for k in PER_SEED)
            for s in sorted(runs)
        ]
        row = [line for line in lines if line.startswith(f'| {name} |')]
        assert len(row) == 1, name
        got = [c.strip() for c in row[0].strip('|').split('|')][1:]
        assert [c for c in got if c != '—'] == cells, name
