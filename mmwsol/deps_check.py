"""A clear message when a tool runs on a Python without mmwsol's packages.

``make install`` puts torch, MMEngine and MMPretrain into ``.venv``; a bare
``python tools/train.py`` on the system Python then fails deep in an import
with ``No module named 'torch'``. The tools call :func:`require_runtime`
first, which names the Python in use and the two ways to run them. This
module imports only the standard library, so it works on any Python.
"""

import importlib.util
import os.path as osp
import sys
from typing import List, Optional, Sequence

__all__ = ['missing_packages', 'require_runtime']

#: What every tool imports (module names).
RUNTIME_PACKAGES = ('torch', 'mmengine', 'mmpretrain')

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def missing_packages(packages: Sequence[str] = RUNTIME_PACKAGES) -> List[str]:
    """The packages of ``packages`` this Python cannot import.

    Args:
        packages (Sequence[str]): Top-level module names.

    Returns:
        list[str]: The missing ones, in order.
    """
    return [p for p in packages if importlib.util.find_spec(p) is None]


def require_runtime(
    tool: str,
    packages: Sequence[str] = RUNTIME_PACKAGES,
    root: Optional[str] = None,
) -> None:
    """Exit with a clear message if this Python lacks ``packages``.

    Args:
        tool (str): The tool as typed, e.g. ``'tools/train.py'``.
        packages (Sequence[str]): The modules the tool needs.
        root (str, optional): The checkout (where ``.venv`` would be).
            Defaults to the one holding this file.

    Raises:
        SystemExit: Naming the missing packages, the Python in use and how
            to run the tool in the environment of ``make install``.
    """
    missing = missing_packages(packages)
    if not missing:
        return
    root = ROOT if root is None else root
    venv_python = osp.join(root, '.venv', 'bin', 'python')
    lines = [
        f'error: {tool} needs {", ".join(missing)}, which this Python '
        f'({sys.executable}) does not have.'
    ]
    if osp.isfile(venv_python):
        lines += [
            'Run it in the environment of `make install`:',
            '    source .venv/bin/activate   # once per shell, then '
            f'`python {tool} ...`',
            f'or: .venv/bin/python {tool} ...',
        ]
    else:
        lines.append(
            'Install first: `make install` (creates .venv), then '
            '`source .venv/bin/activate`.'
        )
    raise SystemExit('\n'.join(lines))
