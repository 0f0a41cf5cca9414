"""README's synthetic numbers are the recorded multi-seed study's numbers.

``docs/results/synthetic_zoo.json`` is written by
``tools/analysis/seed_study.py tools/analysis/studies/synthetic_zoo.py``;
README and the demo quote it. These tests fail when README and the recorded
study disagree (a number edited by hand, or a study re-run without updating
README).
"""

import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SUMMARY = osp.join(ROOT, 'docs', 'results', 'synthetic_zoo.json')


@pytest.fixture(scope='module')
def summary():
    with open(SUMMARY) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def readme():
    with open(osp.join(ROOT, 'README.md')) as f:
        return f.read()


def _entry(summary, model, test):
    return summary['results'][model][test]


def _mean_std(summary, model, test, key):
    e = _entry(summary, model, test)
    return f'{e["mean"][key]:.1f} ± {e["std"][key]:.1f}'


def _v2_pxap(summary, model, test):
    mean = _entry(summary, model, test)['mean']
    return f'{mean["MaxBoxAccV2"]:.1f} / {mean["PxAP"]:.1f}'


def _n(summary, model):
    """The number of seeds of a model (the same for all its tests)."""
    counts = {e['n'] for e in summary['results'][model].values()}
    assert len(counts) == 1, (model, counts)
    return counts.pop()


def test_summary_has_at_least_two_seeds_everywhere(summary):
    for model, tests in summary['results'].items():
        for test, entry in tests.items():
            assert entry['n'] >= 2, (model, test)
            assert (
                sorted(entry['per_seed'])
                == [str(s) for s in summary['seeds']][: entry['n']]
            ), (model, test)


@pytest.mark.parametrize(
    'model, test', [('cam', 'cam'), ('tap', 'rethinking_cam')]
)
def test_zoo_cells_with_spread(summary, readme, model, test):
    cell = (
        f'{_n(summary, model)} seeds: V2 '
        f'{_mean_std(summary, model, test, "MaxBoxAccV2")}'
        f' · PxAP {_mean_std(summary, model, test, "PxAP")}'
        f' · GT {_mean_std(summary, model, test, "gt_known_loc")}'
    )
    assert cell in readme


def test_zoo_cells_of_the_method_families(summary, readme):
    s = summary
    n_cam, n_nl, n_spa = (
        _n(s, 'cam'),
        _n(s, 'nl_ccam'),
        _n(s, 'spa_baseline'),
    )
    assert _n(s, 'spa') == n_spa
    cells = [
        f'V2 / PxAP: CAM {_v2_pxap(s, "cam", "cam")}, CCAM '
        f'{_v2_pxap(s, "cam", "ccam_quadratic")} ({n_cam} seeds), NL-CCAM '
        f'{_v2_pxap(s, "nl_ccam", "nl_ccam")} ({n_nl} seeds)',
        f'{n_spa} seeds, V2 / PxAP: baseline '
        f'{_v2_pxap(s, "spa_baseline", "baseline")}, +SCG '
        f'{_v2_pxap(s, "spa_baseline", "baseline_scg")}, +RAM '
        f'{_v2_pxap(s, "spa", "ram")}, SPA {_v2_pxap(s, "spa", "spa")}',
        f'{n_cam} CAM checkpoints, V2 / PxAP, last layer: CAM '
        f'{_v2_pxap(s, "cam", "cam")}, GradCAM {_v2_pxap(s, "cam", "gradcam")}'
        f', GradCAM++ {_v2_pxap(s, "cam", "gradcampp")}, PCS '
        f'{_v2_pxap(s, "cam", "pcs")}, BagCAMs {_v2_pxap(s, "cam", "bagcams")}'
        f'; stage 2: GradCAM++ {_v2_pxap(s, "cam", "gradcampp_stage2")}, '
        f'BagCAMs {_v2_pxap(s, "cam", "bagcams_stage2")}',
    ]
    for cell in cells:
        assert cell in readme


def test_demo_output_in_readme_is_seed_0_beside_the_reference(summary, readme):
    spec = importlib.util.spec_from_file_location(
        'demo_tool', osp.join(ROOT, 'tools', 'demo.py')
    )
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    reference = demo.load_reference(SUMMARY)
    seed0 = _entry(summary, 'cam', 'cam')['per_seed']['0']
    lines = demo.summary_lines(seed0, reference)
    assert len(lines) == 8  # header, six metrics, the spread note
    for line in lines:
        assert line in readme, line


@pytest.mark.parametrize(
    'metafile, name, model, test',
    [
        ('cam', 'cam_tinynet_1xb32_synthetic', 'cam', 'cam'),
        (
            'nl_ccam',
            'ccam-quadratic_tinynet_1xb32_synthetic',
            'cam',
            'ccam_quadratic',
        ),
        ('nl_ccam', 'nl-ccam_tinynet_1xb32_synthetic', 'nl_ccam', 'nl_ccam'),
        (
            'rethinking_cam',
            'rethinking-cam_tinynet_1xb32_synthetic',
            'tap',
            'rethinking_cam',
        ),
        ('spa', 'spa_tinynet_1xb32_synthetic', 'spa', 'spa'),
    ],
)
def test_metafile_synthetic_numbers_are_the_study_means(
    summary, metafile, name, model, test
):
    import yaml

    with open(osp.join(ROOT, 'configs', metafile, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    entry = next(m for m in models if m['Name'] == name)
    metrics = entry['Results'][0]['Metrics']
    keys = {
        'MaxBoxAccV2': 'MaxBoxAccV2',
        'PxAP': 'PxAP',
        'GT-known Loc': 'gt_known_loc',
        'Top-1 Loc': 'top1_loc',
    }
    mean = _entry(summary, model, test)['mean']
    assert metrics, name
    for key, value in metrics.items():
        assert value == round(mean[keys[key]], 2), (name, key)
