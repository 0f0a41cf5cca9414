"""README's promise: no source file over 400 lines without its reason.

A longer file must say why in its module header: a line containing
``over 400 lines:`` among its first 15 lines.
"""

import os
import os.path as osp

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
FOLDERS = ('mmwsol', 'tools', 'tests', 'configs')
LIMIT = 400


def _python_files():
    for folder in FOLDERS:
        for dirpath, dirnames, filenames in os.walk(osp.join(ROOT, folder)):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            for name in filenames:
                if name.endswith(('.py', '.sh')):
                    yield osp.join(dirpath, name)


def test_the_walk_finds_the_package():
    files = {osp.relpath(p, ROOT) for p in _python_files()}
    assert 'mmwsol/evaluation/metrics/wsol_metric.py' in files
    assert 'tools/test.py' in files


def test_no_file_over_400_lines_without_its_reason():
    too_long = []
    for path in _python_files():
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
        header = ''.join(lines[:15])
        if len(lines) > LIMIT and 'over 400 lines:' not in header:
            too_long.append(f'{osp.relpath(path, ROOT)} ({len(lines)})')
    assert not too_long, (
        'over 400 lines without "over 400 lines: <why>" in the header: '
        + ', '.join(too_long)
    )
