"""End-to-end runs of tools/train.py and tools/test.py (CPU, gloo)."""

import os
import os.path as osp
import re
import subprocess

import mmengine
import pytest
import torch
from tools_utils import (
    ROOT,
    free_port,
    load_state,
    make_tiny_dataset,
    read_json,
    run_tool,
    write_tiny_config,
)


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny dataset, its config and a 2-epoch training run."""
    root = tmp_path_factory.mktemp('tiny')
    data = make_tiny_dataset(str(root / 'data'))
    cfg = write_tiny_config(str(root / 'tiny_cam.py'), data)
    work = str(root / 'train')
    out = run_tool(['tools/train.py', cfg, '--work-dir', work])
    return dict(root=root, cfg=cfg, work=work, log=out)


def test_train_saves_checkpoints_and_validates(tiny):
    assert osp.isfile(osp.join(tiny['work'], 'epoch_2.pth'))
    with open(osp.join(tiny['work'], 'last_checkpoint')) as f:
        assert f.read().strip().endswith('epoch_2.pth')
    assert 'wsol/MaxBoxAccV2' in tiny['log']
    ckpt = load_state(osp.join(tiny['work'], 'epoch_2.pth'))
    assert ckpt['meta']['epoch'] == 2
    assert len(ckpt['rng_states']) == 1  # RNGStateHook from default_runtime


def test_test_tool_writes_metrics_and_overlays(tiny):
    ckpt = osp.join(tiny['work'], 'epoch_2.pth')
    out = osp.join(tiny['root'], 'metrics_single.json')
    run_tool(
        [
            'tools/test.py',
            tiny['cfg'],
            ckpt,
            '--work-dir',
            str(tiny['root'] / 'test'),
            '--out',
            out,
            '--show-dir',
            'vis',
            '--show-num',
            '3',
        ]
    )
    metrics = read_json(out)
    for key in (
        'wsol/MaxBoxAccV2',
        'wsol/top1_cls',
        'wsol/gt_known_loc',
        'wsol/PxAP',
        'wsol/pIoU',
    ):
        assert key in metrics
        assert 0 <= metrics[key] <= 100
    pngs = os.listdir(str(tiny['root'] / 'test' / 'vis'))
    assert len(pngs) == 3 and all(p.endswith('.png') for p in pngs)


def test_test_tool_dumps_predictions(tiny):
    ckpt = osp.join(tiny['work'], 'epoch_2.pth')
    out = osp.join(tiny['root'], 'preds.pkl')
    run_tool(
        [
            'tools/test.py',
            tiny['cfg'],
            ckpt,
            '--work-dir',
            str(tiny['root'] / 'test_pred'),
            '--out',
            out,
            '--out-item',
            'pred',
            # persistent workers are dropped for num_workers=0 even when asked
            '--cfg-options',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=True',
        ]
    )
    preds = mmengine.load(out)
    assert len(preds) == 15
    assert preds[0]['gt_cam'].dtype.name == 'uint8'
    assert preds[0]['gt_cam'].shape == (48, 48)
    assert {p['img_id'] for p in preds} == {
        line.strip()
        for line in open(
            osp.join(tiny['root'], 'data', 'metadata', 'test', 'image_ids.txt')
        )
        if line.strip()
    }


@pytest.mark.parametrize(
    'localizer',
    [
        [],
        # a gradient localizer on an intermediate layer: autograd inside the
        # distributed test loop must not change a number either
        [
            'model.localizer.type=BagCAMs',
            'model.localizer.layer=backbone.stages.2',
        ],
    ],
    ids=['cam', 'bagcams'],
)
def test_distributed_test_equals_single_process(tiny, localizer):
    """2 gloo processes, 15 test images (the sampler pads to 16)."""
    ckpt = osp.join(tiny['work'], 'epoch_2.pth')
    name = 'bagcams' if localizer else 'cam'
    single = osp.join(tiny['root'], f'metrics_1proc_{name}.json')
    double = osp.join(tiny['root'], f'metrics_2proc_{name}.json')
    options = ['--cfg-options', *localizer] if localizer else []
    run_tool(
        [
            'tools/test.py',
            tiny['cfg'],
            ckpt,
            '--work-dir',
            str(tiny['root'] / f'test1_{name}'),
            '--out',
            single,
            *options,
        ]
    )
    run_tool(
        [
            'tools/test.py',
            tiny['cfg'],
            ckpt,
            '--work-dir',
            str(tiny['root'] / f'test2_{name}'),
            '--out',
            double,
            '--launcher',
            'pytorch',
            *options,
        ],
        nproc=2,
    )
    assert read_json(single) == read_json(double)


def test_distributed_training_on_cpu(tiny):
    work = str(tiny['root'] / 'dist_train')
    run_tool(
        [
            'tools/train.py',
            tiny['cfg'],
            '--work-dir',
            work,
            '--launcher',
            'pytorch',
            '--cfg-options',
            'train_cfg.max_epochs=1',
        ],
        nproc=2,
    )
    ckpt = load_state(osp.join(work, 'epoch_1.pth'))
    assert ckpt['meta']['epoch'] == 1
    assert len(ckpt['rng_states']) == 2  # one per rank


def test_resume_matches_uninterrupted_run(tiny):
    """Interrupt after epoch 1, resume, compare with the 2-epoch run.

    The schedule has an explicit `end`, so stopping early by
    `max_epochs=1` leaves it as in the full run (as a crash would).
    """
    work = str(tiny['root'] / 'resumed')
    run_tool(
        [
            'tools/train.py',
            tiny['cfg'],
            '--work-dir',
            work,
            '--cfg-options',
            'train_cfg.max_epochs=1',
        ]
    )
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    out = run_tool(
        ['tools/train.py', tiny['cfg'], '--work-dir', work, '--resume']
    )
    assert 'resumed' in out.lower()
    full = load_state(osp.join(tiny['work'], 'epoch_2.pth'))
    resumed = load_state(osp.join(work, 'epoch_2.pth'))
    assert resumed['meta']['epoch'] == 2
    assert resumed['meta']['iter'] == full['meta']['iter']
    # same lr schedule state and the same weights, exactly
    assert resumed['param_schedulers'] == full['param_schedulers']
    lr_full = full['optimizer']['param_groups'][0]['lr']
    assert resumed['optimizer']['param_groups'][0]['lr'] == lr_full
    for key, value in full['state_dict'].items():
        assert torch.equal(resumed['state_dict'][key], value), key


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU error')
def test_amp_without_cuda_is_a_clear_error(tiny):
    with pytest.raises(AssertionError, match='needs a CUDA device'):
        run_tool(
            [
                'tools/train.py',
                tiny['cfg'],
                '--work-dir',
                str(tiny['root'] / 'amp'),
                '--amp',
            ]
        )


@pytest.mark.skipif(
    not osp.isfile(osp.join(ROOT, '.venv', 'bin', 'python')),
    reason='needs the .venv of `make install`',
)
def test_dist_script_runs_as_written_without_activating_the_venv(tiny):
    """``bash tools/dist_test.sh CFG CKPT 1`` while ``python`` on PATH has
    no torch (a shim that fails like a bare system python)."""
    shims = tiny['root'] / 'shims'
    shims.mkdir()
    shim = shims / 'python'
    shim.write_text(
        '#!/bin/sh\necho "ModuleNotFoundError: No module named torch" >&2\n'
        'exit 1\n'
    )
    shim.chmod(0o755)
    out = osp.join(tiny['root'], 'metrics_dist_script.json')
    unset = ('PYTHON', 'VIRTUAL_ENV')
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PATH=f'{shims}:/usr/bin:/bin', PORT=str(free_port()))
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run(
        [
            'bash',
            'tools/dist_test.sh',
            tiny['cfg'],
            osp.join(tiny['work'], 'epoch_2.pth'),
            '1',
            '--work-dir',
            str(tiny['root'] / 'test_dist_script'),
            '--out',
            out,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 0 <= read_json(out)['wsol/MaxBoxAccV2'] <= 100


def _log_file_of(console: str) -> str:
    """The log file named in the tools' header line."""
    match = re.search(r'log file: (\S+\.log) ', console)
    assert match, console[:2000]
    return match.group(1)


def test_train_console_is_short_and_the_log_file_holds_the_dumps(tiny):
    console = tiny['log']
    # 2 epochs x (3 train + 3 val lines + checkpoint notes) and a header;
    # MMEngine's dumps alone are ~330 lines
    assert len(console.splitlines()) < 40, console
    for dump in ('System environment', 'Config:', 'Hooks will be executed'):
        assert dump not in console
    with open(_log_file_of(console)) as f:
        log = f.read()
    assert 'System environment' in log
    assert 'Hooks will be executed in the following order' in log
    assert 'Config:\n_base_ = [' in log or 'train_cfg = dict(' in log
    assert (
        'Epoch(train) [2][3/3]' in console and 'Epoch(train) [2][3/3]' in log
    )


def test_test_console_is_short_and_verbose_prints_the_dumps(tiny):
    ckpt = osp.join(tiny['work'], 'epoch_2.pth')
    args = ['tools/test.py', tiny['cfg'], ckpt]
    curves = str(tiny['root'] / 'quiet' / 'curves.json')
    quiet = run_tool(
        [
            *args,
            '--work-dir',
            str(tiny['root'] / 'quiet'),
            # README's line: a named key into the list of test metrics
            '--cfg-options',
            f'test_evaluator.curves_file={curves}',
        ]
    )
    lines = quiet.splitlines()
    # header (3) + cfg-options note + load + 4 test iterations + metrics
    assert len(lines) < 15, quiet
    assert any('wsol/MaxBoxAccV2' in line for line in lines)
    assert 'train_cfg = dict(' in open(_log_file_of(quiet)).read()
    assert isinstance(read_json(curves), dict)
    loud = run_tool(
        [*args, '--work-dir', str(tiny['root'] / 'loud'), '--verbose']
    )
    assert 'System environment' in loud and 'train_cfg = dict(' in loud
    assert 'Hooks will be executed in the following order' in loud
    assert len(loud.splitlines()) > 100
