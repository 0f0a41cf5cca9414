"""README's six-method synthetic table, docs/baselines.md and the baseline
folders' READMEs and metafiles quote the recorded study
(``docs/results/synthetic_baselines.json``, written by
``tools/analysis/seed_study.py tools/analysis/studies/
synthetic_baselines.py``): a number edited by hand, or a study re-run without
updating them, fails here."""

import json
import os.path as osp

import pytest
import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SUMMARY = osp.join(ROOT, 'docs', 'results', 'synthetic_baselines.json')
# (row label in the tables, model, test)
ROWS = (
    ('CAM', 'cam', 'cam'),
    ('HaS', 'has', 'has'),
    ('ACoL', 'acol', 'acol'),
    ("ACoL, branch A's CAM", 'acol', 'acol_branch_a'),
    ('SPG', 'spg', 'spg'),
    ('ADL', 'adl', 'adl'),
    ('CutMix', 'cutmix', 'cutmix'),
)
README_METRICS = ('MaxBoxAccV2', 'PxAP', 'gt_known_loc', 'top1_cls')
DOC_METRICS = (
    'MaxBoxAccV2',
    'MaxBoxAccV2@50',
    'MaxBoxAccV2@70',
    'PxAP',
    'pIoU',
    'gt_known_loc',
    'top1_cls',
)
FOLDERS = ('has', 'acol', 'spg', 'adl', 'cutmix')
README_SECTION = '### The wsolevaluation table on the synthetic set'


@pytest.fixture(scope='module')
def summary():
    with open(SUMMARY) as f:
        return json.load(f)


def _entry(summary, model, test):
    return summary['results'][model][test]


def _text(path, section=None):
    """The file's text, or from ``section`` to the next ``###`` heading."""
    with open(path) as f:
        text = f.read()
    if section is not None:
        text = text[text.index(section) :]
        text = text[: text.index('\n### ', 1)]
    return text


def _row(text, label):
    rows = [
        line for line in text.splitlines() if line.startswith(f'| {label} |')
    ]
    assert len(rows) == 1, (label, len(rows))
    return rows[0]


def test_every_method_has_the_same_three_seeds(summary):
    assert summary['seeds'] == [0, 1, 2]
    for _, model, test in ROWS:
        entry = _entry(summary, model, test)
        assert entry['n'] == 3, (model, test)
        assert sorted(entry['per_seed']) == ['0', '1', '2']


@pytest.mark.parametrize(
    'path, section, metrics',
    [
        (osp.join(ROOT, 'README.md'), README_SECTION, README_METRICS),
        (osp.join(ROOT, 'docs', 'baselines.md'), None, DOC_METRICS),
    ],
)
def test_tables_are_the_study_means(summary, path, section, metrics):
    text = _text(path, section)
    for label, model, test in ROWS:
        entry = _entry(summary, model, test)
        row = _row(text, label)
        cells = [
            f'{entry["mean"][k]:.1f} ± {entry["std"][k]:.1f}' for k in metrics
        ]
        assert all(cell in row for cell in cells), (label, cells, row)


def test_zoo_row_quotes_the_study_means(summary):
    with open(osp.join(ROOT, 'README.md')) as f:
        rows = [line for line in f if line.startswith('| HaS · ACoL ·')]
    assert len(rows) == 1
    for label, model, test in ROWS:
        if test == 'acol_branch_a':
            continue
        mean = _entry(summary, model, test)['mean']
        cell = f'{mean["MaxBoxAccV2"]:.1f} / {mean["PxAP"]:.1f}'
        assert f'{label} {cell}' in rows[0], (label, cell)


def test_per_seed_table_is_the_recorded_seeds(summary):
    text = _text(osp.join(ROOT, 'docs', 'baselines.md'))
    for label, model, test in ROWS:
        per_seed = _entry(summary, model, test)['per_seed']
        values = [
            f'{per_seed[s]["MaxBoxAccV2"]:.1f} / {per_seed[s]["PxAP"]:.1f}'
            for s in ('0', '1', '2')
        ]
        row = _row(text, f'{label} (per seed)')
        assert all(v in row for v in values), (label, values, row)


def _paired(summary, base, new, metric):
    """Mean over seeds of NEW - BASE (same seed)."""
    a, b = (_entry(summary, *name)['per_seed'] for name in (base, new))
    return sum(b[s][metric] - a[s][metric] for s in a) / len(a)


def test_paired_differences_are_the_recorded_seeds(summary):
    text = _text(osp.join(ROOT, 'docs', 'baselines.md'))
    cam = ('cam', 'cam')
    pairs = [
        (f'{label} - CAM', cam, (model, test))
        for label, model, test in ROWS[1:]
        if test != 'acol_branch_a'
    ]
    branch_a = ('acol', 'acol_branch_a')
    pairs.append(('ACoL - its branch A', branch_a, ('acol', 'acol')))
    for label, base, new in pairs:
        row = _row(text, label)
        for metric in ('MaxBoxAccV2', 'PxAP', 'gt_known_loc'):
            cell = f'{_paired(summary, base, new, metric):+.2f} ['
            assert cell in row, (label, metric, cell, row)
        thr = _paired(summary, base, new, 'best_thr@50')
        assert row.endswith(f'| {thr:+.2f} |'), (label, thr, row)


@pytest.mark.parametrize('folder', FOLDERS)
def test_method_readme_and_metafile_quote_the_study(summary, folder):
    readme = osp.join(ROOT, 'configs', folder, 'README.md')
    with open(readme) as f:
        text = f.read()
    synthetic = text[text.index('### Synthetic dataset (CPU)') :]
    rows = [(folder, folder), ('cam', 'cam')]
    if folder == 'acol':
        rows.append(('acol', 'acol_branch_a'))
    for name in rows:
        quoted = _entry(summary, *name)
        for key in README_METRICS:
            cell = f'{quoted["mean"][key]:.1f} ± {quoted["std"][key]:.1f}'
            assert cell in synthetic, (folder, name, key, cell)

    with open(osp.join(ROOT, 'configs', folder, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    name = f'{folder}_tinynet_1xb32_synthetic'
    model = next(m for m in models if m['Name'] == name)
    metrics = model['Results'][0]['Metrics']
    assert set(metrics) == {'MaxBoxAccV2', 'PxAP'}
    mean = _entry(summary, folder, folder)['mean']
    for key, value in metrics.items():
        assert value == round(mean[key], 2), (folder, key)
