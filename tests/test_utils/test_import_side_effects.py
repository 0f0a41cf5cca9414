"""``import mmwsol`` changes nothing outside it (numpy, torch, MMEngine)."""

import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

# Runs in a fresh interpreter: imports the dependencies, records numpy's
# attributes, MMEngine's checkpoint scheme table and torch's safe globals,
# imports mmwsol and registers everything, and records them again.
PROBE = r"""
import json
import types
import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader
# the dependencies first: torch registers safe globals of its own when some
# of its modules are imported (torch._dynamo, torch.nested, ...)
import mmengine.runner  # noqa: E402,F401
import mmpretrain.datasets  # noqa: E402,F401
import mmpretrain.engine  # noqa: E402,F401
import mmpretrain.evaluation  # noqa: E402,F401
import mmpretrain.models  # noqa: E402,F401

NAMES = ['float', 'int', 'bool', 'object', 'str', 'long', 'in1d', 'trapz',
         'product', 'cumproduct', 'alltrue', 'sometrue', 'round_']


def snapshot():
    return dict(
        numpy={n: hasattr(np, n) for n in NAMES},
        # submodules (np.fft, ...) appear in np.__dict__ when imported
        numpy_dict=sorted(k for k, v in np.__dict__.items()
                          if not isinstance(v, types.ModuleType)),
        schemes={k: f'{v.__module__}.{v.__qualname__}'
                 for k, v in CheckpointLoader._schemes.items()},
        safe_globals=sorted(map(str, torch.serialization.get_safe_globals())),
        torch_load=f'{torch.load.__module__}.{torch.load.__qualname__}')


before = snapshot()
import mmwsol  # noqa: E402
from mmwsol.utils import register_all_modules  # noqa: E402
register_all_modules(init_default_scope=True)
import mmwsol.apis  # noqa: E402,F401
print(json.dumps(dict(before=before, after=snapshot())))
"""


def test_import_mmwsol_changes_no_global_state():
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-c', PROBE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    before, after = result['before'], result['after']
    # numpy 2 has none of the removed aliases; mmwsol must not add them back
    assert before['numpy']['float'] is False
    assert after['numpy'] == before['numpy']
    assert after['numpy_dict'] == before['numpy_dict']
    # MMEngine's loaders (local files included) are MMEngine's own
    assert after['schemes'] == before['schemes']
    assert after['schemes'][''] == 'mmengine.runner.checkpoint.load_from_local'
    assert after['safe_globals'] == before['safe_globals']
    assert after['torch_load'] == before['torch_load']
