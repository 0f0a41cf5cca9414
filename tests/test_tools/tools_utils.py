"""Helpers of the tool tests: a tiny synthetic set, configs, subprocesses."""

import json
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Dict, List, Optional

import torch

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)

TINY_CONFIG = """
_base_ = [{base!r}]
data_root = {data_root!r}
classes = data_root + '/classes.txt'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(54, 54), keep_ratio=False),
    dict(type='RandomCrop', crop_size=48),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackWSOLInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(data_root=data_root, num_classes=3, classes=classes,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(data_root=data_root, num_classes=3, classes=classes,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(data_root=data_root, num_classes=3, classes=classes,
                 pipeline=test_pipeline))
data_preprocessor = dict(num_classes=3)
model = dict(
    backbone=dict(stage_channels=(8, 16, 16, 32)),
    head=dict(num_classes=3, in_channels=32, topk=(1, )))
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=2, T_max=3,
         eta_min=1e-3),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
train_cfg = dict(max_epochs=2, val_interval=1)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=-1))
randomness = dict(seed=0)
"""


def make_tiny_dataset(out_dir: str) -> str:
    """Write a 3-class synthetic set at 48 px (odd test size: 15)."""
    from mmwsol.synthetic import generate_synthetic_dataset

    generate_synthetic_dataset(
        out_dir,
        num_classes=3,
        num_train=8,
        num_val=2,
        num_test=5,
        image_size=48,
        seed=3,
    )
    return out_dir


def write_tiny_config(path: str, data_root: str) -> str:
    """Write a config that shrinks the demo config to the tiny set."""
    with open(path, 'w') as f:
        f.write(TINY_CONFIG.format(base=DEMO_CONFIG, data_root=data_root))
    return path


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_tool(
    args: List[str],
    nproc: int = 1,
    timeout: int = 600,
    env: Optional[Dict[str, str]] = None,
    check: bool = True,
):
    """Run ``tools/<script>`` (through torchrun when ``nproc > 1``).

    Returns:
        str | tuple: The combined output; raises with it when the command
        fails. With ``check=False``: ``(exit code, output)``, no raise.
    """
    cmd = [sys.executable]
    if nproc > 1:
        cmd += [
            '-m',
            'torch.distributed.run',
            f'--nproc_per_node={nproc}',
            '--master_addr=127.0.0.1',
            f'--master_port={free_port()}',
        ]
    cmd += args
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    full_env.update(env or {})
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if not check:
        return proc.returncode, proc.stdout
    if proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed:\n{proc.stdout[-6000:]}')
    return proc.stdout


def read_json(path: str) -> dict:
    """Read a JSON file."""
    with open(path) as f:
        return json.load(f)


def load_state(path: str) -> dict:
    """Load a checkpoint on CPU (MMEngine pickles more than tensors)."""
    return torch.load(path, map_location='cpu', weights_only=False)
