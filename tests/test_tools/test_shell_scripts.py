"""tools/*.sh pick the checkout's .venv python (README commands as written).

The launch scripts run ``$PYTHON``, else ``<checkout>/.venv/bin/python``
(what ``make install`` creates), else ``python`` from PATH.
"""

import os
import os.path as osp
import shutil
import subprocess

import pytest
from tools_utils import ROOT

SCRIPTS = ['dist_train.sh', 'dist_test.sh', 'slurm_train.sh', 'slurm_test.sh']


def write_exe(path, text: str) -> str:
    """Write an executable shell script."""
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + text)
    os.chmod(path, 0o755)
    return str(path)


def pick(tools_dir: str, env: dict) -> str:
    """Source ``tools_dir/pick_python.sh`` and return ``$PYTHON``."""
    out = subprocess.run(
        ['bash', '-c', f'source {tools_dir}/pick_python.sh; echo "$PYTHON"'],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_pick_python_order(tmp_path):
    checkout = tmp_path / 'checkout'
    tools = checkout / 'tools'
    tools.mkdir(parents=True)
    shutil.copy(osp.join(ROOT, 'tools', 'pick_python.sh'), tools)
    env = {'PATH': os.environ['PATH']}
    # no .venv: python from PATH
    assert pick(str(tools), env) == 'python'
    # a .venv in the checkout wins over PATH
    (checkout / '.venv' / 'bin').mkdir(parents=True)
    venv_python = write_exe(checkout / '.venv' / 'bin' / 'python', 'exit 0\n')
    assert pick(str(tools), env) == venv_python
    # $PYTHON wins over everything
    assert pick(str(tools), dict(env, PYTHON='/opt/py')) == '/opt/py'


@pytest.mark.parametrize('script', SCRIPTS)
def test_scripts_source_pick_python(script):
    with open(osp.join(ROOT, 'tools', script)) as f:
        text = f.read()
    assert 'source "$(dirname "$0")/pick_python.sh"' in text
    assert '"$PYTHON"' in text
    # no bare `python` left to resolve from PATH
    lines = [ln for ln in text.splitlines() if not ln.startswith('#')]
    assert not any(ln.lstrip().startswith('python ') for ln in lines)


@pytest.mark.parametrize(
    'script,args,tool',
    [
        ('slurm_train.sh', ['part', 'job', 'cfg.py', 'work'], 'train.py'),
        ('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth'], 'test.py'),
    ],
)
def test_slurm_scripts_run_the_picked_python(tmp_path, script, args, tool):
    """A fake ``srun`` records what it would run on the nodes."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    record = tmp_path / 'srun_args.txt'
    write_exe(bin_dir / 'srun', f'echo "$@" > {record}\n')
    env = {
        'PATH': f'{bin_dir}:/usr/bin:/bin',
        'PYTHON': '/opt/mypython',
    }
    subprocess.run(
        ['bash', osp.join(ROOT, 'tools', script), *args],
        env=env,
        cwd=str(tmp_path),  # any working directory
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    recorded = record.read_text().split()
    at = recorded.index('/opt/mypython')
    assert recorded[at + 1 : at + 3] == ['-u', osp.join(ROOT, 'tools', tool)]
