"""configs/ts_cam/README.md and metafile.yml quote the recorded synthetic
transformer study (``docs/results/synthetic_transformers.json``, written by
``tools/analysis/seed_study.py tools/analysis/studies/
synthetic_transformers.py``): a number edited by hand, or a study re-run
without updating them, fails here."""

import json
import os.path as osp

import pytest
import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SUMMARY = osp.join(ROOT, 'docs', 'results', 'synthetic_transformers.json')
README = osp.join(ROOT, 'configs', 'ts_cam', 'README.md')
ROWS = (
    ('ts_cam', 'ts_cam'),
    ('ts_cam', 'semantic_only'),
    ('cam', 'cam'),
    ('cam', 'gradcam_block11'),
    ('cam', 'gradcam_block5'),
)
METRICS = ('MaxBoxAccV2', 'PxAP', 'gt_known_loc', 'top1_cls')


@pytest.fixture(scope='module')
def summary():
    with open(SUMMARY) as f:
        return json.load(f)


def test_every_entry_has_the_same_seeds_at_least_two(summary):
    for model, test in ROWS:
        entry = summary['results'][model][test]
        assert entry['n'] >= 2, (model, test)
        assert sorted(entry['per_seed']) == [str(s) for s in summary['seeds']]


def test_readme_rows_are_the_study_means(summary):
    with open(README) as f:
        lines = f.read().splitlines()
    for model, test in ROWS:
        entry = summary['results'][model][test]
        cells = [
            f'{entry["mean"][k]:.1f} ± {entry["std"][k]:.1f}' for k in METRICS
        ]
        row = [line for line in lines if line.startswith(f'| `{test}`')]
        assert len(row) == 1, test
        assert all(cell in row[0] for cell in cells), (test, cells, row[0])


def test_metafile_synthetic_entry_is_the_study_mean(summary):
    with open(osp.join(ROOT, 'configs', 'ts_cam', 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    name = 'ts-cam_deit-tiny-p16_1xb32_synthetic'
    entry = next(m for m in models if m['Name'] == name)
    mean = summary['results']['ts_cam']['ts_cam']['mean']
    metrics = entry['Results'][0]['Metrics']
    keys = {'MaxBoxAccV2': 'MaxBoxAccV2', 'PxAP': 'PxAP'}
    assert set(metrics) == set(keys)
    for key, value in metrics.items():
        assert value == round(mean[keys[key]], 2), key
