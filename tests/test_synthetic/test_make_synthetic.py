"""tools/dataset_converters/make_synthetic.py: the command line tool."""

import json
import os.path as osp
import subprocess
import sys

import pytest
from synthetic_utils import (
    REPO_ROOT,
    TOOL,
    tree_hashes,
)

from mmwsol.synthetic import (
    generate_synthetic_dataset,
)


def _run_tool(*args):
    return subprocess.run(
        [sys.executable, TOOL, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_is_idempotent(tmp_path):
    out = str(tmp_path / 'cli')
    args = [
        '--out',
        out,
        '--num-classes',
        '2',
        '--num-train',
        '2',
        '--num-val',
        '1',
        '--num-test',
        '1',
        '--image-size',
        '80',
        '64',
        '--seed',
        '9',
    ]
    first = _run_tool(*args)
    assert first.returncode == 0, first.stderr
    assert 'Wrote 2 classes' in first.stdout
    hashes = tree_hashes(out)
    second = _run_tool(*args)
    assert second.returncode == 0 and 'up to date' in second.stdout
    forced = _run_tool(*args, '--force')
    assert 'Wrote 2 classes' in forced.stdout
    assert tree_hashes(out) == hashes
    with open(osp.join(out, 'meta.json')) as f:
        params = json.load(f)['params']
    assert params['image_size'] == [80, 64] and params['seed'] == 9
    # The same set from the library call: the CLI adds nothing of its own.
    generate_synthetic_dataset(
        str(tmp_path / 'lib'),
        num_classes=2,
        num_train=2,
        num_val=1,
        num_test=1,
        image_size=(80, 64),
        seed=9,
    )
    assert tree_hashes(tmp_path / 'lib') == hashes


def test_cli_rejects_bad_arguments(tmp_path):
    result = _run_tool('--out', str(tmp_path / 'bad'), '--num-classes', '0')
    assert result.returncode == 2 and 'num_classes' in result.stderr
    assert not osp.exists(tmp_path / 'bad')


@pytest.mark.parametrize(
    'code',
    [
        # the generator package itself
        'import mmwsol.synthetic',
        # the command line tool, loaded as a script
        f'import runpy; runpy.run_path({TOOL!r}, run_name="probe")',
    ],
)
def test_generator_imports_neither_torch_nor_mmpretrain(code):
    probe = (
        f'import sys; {code}; '
        'print(sorted(k for k in ("torch", "mmpretrain", "mmengine") '
        'if k in sys.modules))'
    )
    result = subprocess.run(
        [sys.executable, '-c', probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'
