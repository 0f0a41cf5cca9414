"""tools/train.py and tools/test.py on a Python without torch: a clear
message naming the venv, not a traceback."""

import os
import subprocess
import sys

import pytest
from tools_utils import ROOT

from mmwsol.deps_check import missing_packages, require_runtime


def test_missing_packages():
    assert missing_packages(('os', 'json')) == []
    assert missing_packages(('os', 'no_such_pkg_13', 'json')) == [
        'no_such_pkg_13'
    ]


def test_message_with_and_without_a_venv(tmp_path):
    require_runtime('tools/x.py', packages=('os',), root=str(tmp_path))
    with pytest.raises(SystemExit) as info:
        require_runtime(
            'tools/x.py', packages=('no_such_pkg_13',), root=str(tmp_path)
        )
    message = str(info.value.code)
    assert message.startswith('error: tools/x.py needs no_such_pkg_13')
    assert sys.executable in message
    assert '`make install`' in message
    (tmp_path / '.venv' / 'bin').mkdir(parents=True)
    (tmp_path / '.venv' / 'bin' / 'python').write_text('')
    with pytest.raises(SystemExit) as info:
        require_runtime(
            'tools/x.py', packages=('no_such_pkg_13',), root=str(tmp_path)
        )
    message = str(info.value.code)
    assert 'source .venv/bin/activate' in message
    assert '.venv/bin/python tools/x.py' in message


@pytest.mark.parametrize(
    'tool,args', [('train', ['cfg.py']), ('test', ['cfg.py', 'ckpt.pth'])]
)
def test_tools_on_a_python_without_the_packages(tool, args):
    # -S: no site-packages, like a system Python next to the venv
    probe = subprocess.run([sys.executable, '-S', '-c', 'import torch'])
    if probe.returncode == 0:
        pytest.skip('torch is importable without site-packages here')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        [sys.executable, '-S', f'tools/{tool}.py', *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(f'error: tools/{tool}.py needs torch')
    assert 'Traceback' not in proc.stderr
