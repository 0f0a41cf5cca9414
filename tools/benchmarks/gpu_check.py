"""The GPU check of issue #13.10: AMP training and testing, WSOL training
overhead and the localizer benchmark, one summary and one JSON.

Run through ``tools/benchmarks/gpu_check.sh`` (it picks the checkout's
``.venv/bin/python``). Steps, each recorded with its pass/fail and numbers:

1. ``data``: the synthetic set (``make_synthetic.py``);
2. ``train``: a short CAM training (TinyWSOLNet on the synthetic set, the
   demo config) with and without ``--amp``: the losses stay finite and
   decrease (mean of the last third of the logged losses below the first
   third's);
3. ``test``: ``tools/test.py`` on the fp32 checkpoint with and without
   ``--amp`` (same metrics within ``--metric-tol`` points), and the float GT
   maps of ``model.test_step`` in fp32 and under MMEngine's ``autocast``
   (what ``--amp`` runs) equal within ``--map-tol`` (1e-3);
4. ``train_speed``: images/s of ResNet50 CAM training against plain
   mmpretrain classification on the same backbone
   (``train_speed.py``, fp32 and AMP);
5. ``localizer_speed``: the localizer benchmark (``localizer_speed.py``,
   ResNet50 ``layer3``, GT map and GT + top-5, with the old path and with
   batched / per-target backward passes).

``--tiny`` shrinks every step to a smoke test (48 px images, TinyWSOLNet
speed runs) so that the script can be checked on a CPU in about a minute:
``bash tools/benchmarks/gpu_check.sh --device cpu --tiny``. CPU AMP is
bfloat16, coarser than CUDA's float16: the map tolerance is only reported
there, not enforced.
"""

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from gpu_check_checks import (  # noqa: E402
    NO_CPU_AMP,
    compare_metrics,
    format_summary,
    loss_decreases,
    map_difference,
    read_losses,
)

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
BASE_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)

#: Config of the short training; ``{size}`` etc. are filled in per mode.
CONFIG = """
_base_ = [{base!r}]
data_root = {data_root!r}
classes = data_root + '/classes.txt'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=({resize}, {resize}), keep_ratio=False),
    dict(type='RandomCrop', crop_size={size}),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackWSOLInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=({size}, {size}), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]
train_dataloader = dict(
    batch_size={batch}, num_workers={workers},
    dataset=dict(data_root=data_root, num_classes={classes}, classes=classes,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size={batch}, num_workers={workers},
    dataset=dict(data_root=data_root, num_classes={classes}, classes=classes,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
data_preprocessor = dict(num_classes={classes})
model = dict(head=dict(num_classes={classes}))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
optim_wrapper = dict(optimizer=dict(lr=0.02))
train_cfg = dict(max_epochs={epochs}, val_interval={epochs})
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval={epochs}))
randomness = dict(seed=0)
"""

MODES = {
    # data, training config, speed runs
    'tiny': dict(
        data=[
            '--num-classes', '3', '--num-train', '8', '--num-val', '2',
            '--num-test', '5', '--image-size', '48', '--seed', '3',
        ],
        config=dict(resize=54, size=48, batch=8, workers=0, classes=3,
                    epochs=4),
        train_speed=[
            '--arch', 'tinynet', '--size', '64', '--batch-size', '4',
            '--iters', '2', '--rounds', '1', '--num-classes', '6',
        ],
        localizer_speed=[
            '--arch', 'tinynet', '--size', '64', '--batch-size', '2',
            '--rounds', '1', '--num-classes', '20', '--before',
            '--localizers', 'GradCAM', 'BagCAMs',
        ],
    ),
    'full': dict(
        data=[],
        config=dict(resize=146, size=128, batch=32, workers=4, classes=6,
                    epochs=4),
        train_speed=['--arch', 'resnet50', '--batch-size', '64',
                     '--iters', '10', '--rounds', '3'],
        localizer_speed=[
            '--arch', 'resnet50', '--batch-size', '32', '--topk', '5',
            '--num-classes', '200', '--rounds', '3', '--before',
            '--compare-batching',
        ],
    ),
}  # fmt: skip


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', choices=['cuda', 'cpu'])
    parser.add_argument('--tiny', action='store_true', help='smoke mode')
    parser.add_argument('--work-dir', default='work_dirs/gpu_check')
    parser.add_argument('--json', help='default: WORK_DIR/gpu_check.json')
    parser.add_argument('--map-tol', type=float, default=1e-3)
    parser.add_argument('--metric-tol', type=float, default=0.5)
    parser.add_argument(
        '--skip',
        nargs='+',
        default=[],
        choices=['train', 'test', 'train_speed', 'localizer_speed'],
        help='steps to leave out',
    )
    return parser.parse_args(args)


# ------------------------------------------------------------------- steps
class Check:
    """Runs the steps, keeps their results, prints the summary."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.mode = MODES['tiny' if args.tiny else 'full']
        self.work = osp.abspath(args.work_dir)
        self.results: Dict[str, dict] = {}
        self.env = dict(os.environ)
        if args.device == 'cpu':
            self.env['CUDA_VISIBLE_DEVICES'] = ''

    def run(self, cmd: List[str], log: str) -> float:
        """Run ``python cmd`` from the checkout root, output to ``log``."""
        start = time.perf_counter()
        with open(osp.join(self.work, log), 'w') as f:
            proc = subprocess.run(
                [sys.executable] + cmd,
                cwd=ROOT,
                env=self.env,
                stdout=f,
                stderr=subprocess.STDOUT,
            )
        if proc.returncode != 0:
            raise RuntimeError(
                f'{" ".join(cmd)} failed; see {osp.join(self.work, log)}'
            )
        return time.perf_counter() - start

    def step(self, name: str, fn) -> None:
        """Run one step; an error fails the step, not the script."""
        start = time.perf_counter()
        print(f'[gpu_check] {name} ...', flush=True)
        try:
            result = fn()
        except Exception as error:  # noqa: BLE001 - reported in the summary
            result = dict(ok=False, error=f'{type(error).__name__}: {error}')
        result['seconds'] = round(time.perf_counter() - start, 1)
        self.results[name] = result

    def data(self) -> dict:
        out = osp.join(self.work, 'data')
        self.run(
            ['tools/dataset_converters/make_synthetic.py', '--out', out]
            + self.mode['data'],
            'data.log',
        )
        config = osp.join(self.work, 'cam_check.py')
        with open(config, 'w') as f:
            f.write(
                CONFIG.format(
                    base=BASE_CONFIG, data_root=out, **self.mode['config']
                )
            )
        self.config = config
        return dict(ok=True, config=config)

    def train(self) -> dict:
        result = dict(ok=True)
        for amp in (False, True):
            name = 'amp' if amp else 'fp32'
            if amp and self.args.device == 'cpu':
                result[name] = dict(ok=True, skipped=NO_CPU_AMP)
                continue
            work = osp.join(self.work, f'train_{name}')
            cmd = ['tools/train.py', self.config, '--work-dir', work]
            self.run(cmd + (['--amp'] if amp else []), f'train_{name}.log')
            check = loss_decreases(read_losses(work))
            result[name] = check
            result['ok'] = result['ok'] and check['ok']
        epochs = self.mode['config']['epochs']
        self.checkpoint = osp.join(
            self.work, 'train_fp32', f'epoch_{epochs}.pth'
        )
        return result

    def test(self) -> dict:
        metrics = {}
        for amp in (False, True):
            name = 'amp' if amp else 'fp32'
            out = osp.join(self.work, f'test_{name}.json')
            cmd = [
                'tools/test.py',
                self.config,
                self.checkpoint,
                '--work-dir',
                osp.join(self.work, f'test_{name}'),
                '--out',
                out,
            ]
            self.run(cmd + (['--amp'] if amp else []), f'test_{name}.log')
            with open(out) as f:
                metrics[name] = json.load(f)
        result = dict(
            metrics=compare_metrics(
                metrics['fp32'], metrics['amp'], self.args.metric_tol
            )
        )
        device = self.args.device or 'cuda'
        diff = map_difference(self.config, self.checkpoint, device)
        enforced = device == 'cuda'
        result['maps'] = dict(
            max_abs_diff=diff,
            tol=self.args.map_tol,
            enforced=enforced,
            ok=diff <= self.args.map_tol,
        )
        result['ok'] = result['metrics']['ok'] and (
            result['maps']['ok'] or not enforced
        )
        return result

    def bench(self, script: str, extra: List[str], tag: str) -> dict:
        out = osp.join(self.work, f'{tag}.json')
        device = ['--device', self.args.device] if self.args.device else []
        self.run(
            [f'tools/benchmarks/{script}', '--json', out] + device + extra,
            f'{tag}.log',
        )
        with open(out) as f:
            return dict(ok=True, **json.load(f))

    def train_speed(self) -> dict:
        fp32 = self.bench('train_speed.py', self.mode['train_speed'], 'tr32')
        result = dict(ok=True, fp32=fp32['results'])
        if self.args.device != 'cpu':
            amp = self.bench(
                'train_speed.py', self.mode['train_speed'] + ['--amp'], 'tramp'
            )
            result['amp'] = amp['results']
        return result

    def localizer_speed(self) -> dict:
        return self.bench(
            'localizer_speed.py', self.mode['localizer_speed'], 'loc'
        )

    def main(self) -> int:
        os.makedirs(self.work, exist_ok=True)
        start = time.perf_counter()
        self.step('data', self.data)
        skip = set(self.args.skip)
        if 'train' not in skip:
            self.step('train', self.train)
        if 'test' not in skip and self.results.get('train', {}).get('ok'):
            self.step('test', self.test)
        if 'train_speed' not in skip:
            self.step('train_speed', self.train_speed)
        if 'localizer_speed' not in skip:
            self.step('localizer_speed', self.localizer_speed)
        total = round(time.perf_counter() - start, 1)
        summary = dict(
            device=self.args.device or 'cuda',
            tiny=self.args.tiny,
            seconds=total,
            ok=all(r.get('ok') for r in self.results.values()),
            steps=self.results,
        )
        path = self.args.json or osp.join(self.work, 'gpu_check.json')
        with open(path, 'w') as f:
            json.dump(summary, f, indent=2)
        print(format_summary(summary))
        print(f'[gpu_check] written {path}')
        return 0 if summary['ok'] else 1


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point."""
    sys.path.insert(0, ROOT)
    args = parse_args(argv)
    if args.device is None:
        import torch

        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return Check(args).main()


if __name__ == '__main__':
    sys.exit(main())
