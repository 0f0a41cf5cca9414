"""Tests of tools/analysis/seed_study.py and the demo's reference lines."""

import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def _load(relpath: str, name: str):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(ROOT, relpath)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


seed_study = _load('tools/analysis/seed_study.py', 'seed_study_tool')
demo = _load('tools/demo.py', 'demo_tool')


def test_summarize_mean_and_sample_std():
    # values 50, 52, 57: mean 53, deviations -3, -1, 4 -> sum of squares
    # 26, sample variance 13
    out = seed_study.summarize(
        {
            2: dict(a=57.0, b=1.0),
            0: dict(a=50.0, b=1.0),
            1: dict(a=52.0, b=1.0, only_here=3.0),
        }
    )
    assert out['n'] == 3
    assert out['mean']['a'] == pytest.approx(53.0)
    assert out['std']['a'] == pytest.approx(13**0.5)
    assert out['std']['b'] == 0.0
    # a metric missing on some seed is not averaged over the others
    assert 'only_here' not in out['mean']
    assert list(out['per_seed']) == ['0', '1', '2']


def test_summarize_one_seed_has_zero_std():
    out = seed_study.summarize({0: dict(a=1.5)})
    assert out['mean'] == dict(a=1.5) and out['std'] == dict(a=0.0)


def test_short_metrics_drops_prefix_and_refuses_collisions():
    assert seed_study.short_metrics(
        {'wsol/MaxBoxAccV2': 1, 'mask/PxAP': 2.5}
    ) == dict(MaxBoxAccV2=1.0, PxAP=2.5)
    with pytest.raises(ValueError, match='PxAP'):
        seed_study.short_metrics({'a/PxAP': 1, 'b/PxAP': 2})


def test_markdown_table():
    results = dict(
        cam=dict(
            cam=dict(
                mean=dict(MaxBoxAccV2=53.0, PxAP=70.125),
                std=dict(MaxBoxAccV2=3.6056, PxAP=0.0),
                n=3,
            )
        )
    )
    text = seed_study.markdown(
        results,
        columns=(('MaxBoxAccV2', 'V2'), ('PxAP', 'PxAP'), ('pIoU', 'pIoU')),
    )
    assert '| test | V2 | PxAP | pIoU |' in text
    assert '| cam | 53.00 ± 3.61 | 70.12 ± 0.00 | – |' in text


def test_load_study_errors(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('x = 1\n')
    with pytest.raises(ValueError, match='non-empty dict'):
        seed_study.load_study(str(bad))
    missing = tmp_path / 'missing.py'
    missing.write_text(
        "models = dict(m=dict(train='configs/nope.py', "
        "tests=dict(t='configs/nope.py')))\n"
    )
    with pytest.raises(ValueError, match=r'models\.m\.train.*nope'):
        seed_study.load_study(str(missing))


@pytest.mark.parametrize(
    'name', ['synthetic_zoo', 'synthetic_baselines', 'synthetic_transformers']
)
def test_shipped_studies_name_existing_configs(name):
    # load_study checks that every train / test config exists
    study = seed_study.load_study(
        osp.join(ROOT, f'tools/analysis/studies/{name}.py')
    )
    assert study and all(model['tests'] for model in study.values())


def test_demo_summary_prints_reference_beside_the_run(tmp_path):
    summary = dict(
        commit='abc',
        results=dict(
            cam=dict(
                cam=dict(
                    mean=dict(MaxBoxAccV2=57.5, PxAP=71.25),
                    std=dict(MaxBoxAccV2=3.25, PxAP=1.5),
                    n=5,
                )
            )
        ),
    )
    path = tmp_path / 'zoo.json'
    path.write_text(json.dumps(summary))
    ref = demo.load_reference(str(path))
    assert ref['n'] == 5 and ref['commit'] == 'abc'
    lines = demo.summary_lines(
        {
            'wsol/MaxBoxAccV2': 54.07,
            'wsol/MaxBoxAccV2@50': 1.0,
            'mask/PxAP': 69.65,
        },
        ref,
    )
    assert '5 seeds' in lines[0]
    v2 = next(line for line in lines if line.strip().startswith('MaxBox'))
    assert v2.split()[-4:] == ['54.07', '57.50', '±', '3.25']
    # without a reference only this run's numbers are printed
    plain = demo.summary_lines({'wsol/MaxBoxAccV2': 54.07}, None)
    assert len(plain) == 1 and plain[0].split()[-1] == '54.07'
    assert demo.load_reference(str(tmp_path / 'none.json')) is None


seed_report = _load('tools/analysis/seed_report.py', 'seed_report_tool')


def _summary():
    def entry(values):
        per_seed = {str(s): dict(V2=v) for s, v in enumerate(values)}
        return seed_study.summarize({int(s): m for s, m in per_seed.items()})

    return dict(
        seeds=[0, 1, 2],
        commit='abc',
        command='python tools/analysis/seed_study.py x',
        results=dict(
            m=dict(a=entry([50.0, 60.0, 55.0]), b=entry([52.0, 59.0, 58.0]))
        ),
    )


def test_paired_difference_by_hand():
    results = _summary()['results']
    # b - a per seed: +2, -1, +3 -> mean 4/3, min -1, max 3, 2 of 3 up
    mean, lo, hi, up, n = seed_report.paired_difference(
        results['m']['a'], results['m']['b'], 'V2'
    )
    assert mean == pytest.approx(4 / 3)
    assert (lo, hi, up, n) == (-1.0, 3.0, 2, 3)


def test_report_tables_and_errors():
    text = seed_report.report(
        _summary(), metrics=['V2'], per_seed=True, pairs=[('m.a', 'm.b')]
    )
    assert '| a | 55.00 ± 5.00 |' in text
    assert '| a | 50.00 | 60.00 | 55.00 |' in text
    assert '| m.b − m.a | +1.33 [-1.00, +3.00] 2/3↑ |' in text
    with pytest.raises(KeyError, match='m.a'):
        seed_report.report(_summary(), pairs=[('m.zz', 'm.a')])


def test_collect_only_summarises_existing_results(tmp_path):
    study = tmp_path / 'study.py'
    study.write_text(
        'models = dict(m=dict('
        "train='configs/cam/cam_tinynet_1xb32_synthetic.py',"
        " tests=dict(t='configs/cam/cam_tinynet_1xb32_synthetic.py')))\n"
    )
    for seed, value in ((0, 50.0), (1, 54.0)):
        folder = tmp_path / 'work' / 'm' / f'seed{seed}'
        folder.mkdir(parents=True)
        (folder / 't.json').write_text(json.dumps({'wsol/MaxBoxAccV2': value}))
    out = tmp_path / 'summary.json'
    summary = seed_study.main(
        [
            str(study),
            '--seeds',
            '0',
            '1',
            '--work-dir',
            str(tmp_path / 'work'),
            '--collect-only',
            '--out',
            str(out),
        ]
    )
    entry = summary['results']['m']['t']
    assert entry['mean'] == dict(MaxBoxAccV2=52.0)
    assert entry['std']['MaxBoxAccV2'] == pytest.approx(8**0.5)
    assert json.loads(out.read_text())['results'] == summary['results']
    with pytest.raises(SystemExit, match='seed2'):
        seed_study.main(
            [
                str(study),
                '--seeds',
                '2',
                '--work-dir',
                str(tmp_path / 'work'),
                '--collect-only',
            ]
        )


def test_collect_only_allow_missing_summarises_the_seeds_there(tmp_path):
    study = tmp_path / 'study.py'
    study.write_text(
        'models = dict(m=dict('
        "train='configs/cam/cam_tinynet_1xb32_synthetic.py',"
        " tests=dict(t='configs/cam/cam_tinynet_1xb32_synthetic.py')))\n"
    )
    folder = tmp_path / 'work' / 'm' / 'seed1'
    folder.mkdir(parents=True)
    (folder / 't.json').write_text(json.dumps({'wsol/MaxBoxAccV2': 40.0}))
    args = [
        str(study),
        '--seeds',
        '0',
        '1',
        '--work-dir',
        str(tmp_path / 'work'),
        '--collect-only',
    ]
    with pytest.raises(SystemExit, match='allow-missing'):
        seed_study.main(args)
    entry = seed_study.main(args + ['--allow-missing'])['results']['m']['t']
    assert entry['n'] == 1 and list(entry['per_seed']) == ['1']
    with pytest.raises(SystemExit, match='no seed of m.t'):
        seed_study.main(args[:2] + ['0'] + args[4:] + ['--allow-missing'])
