"""Speed and peak memory of the gradient localizers against CAM.

(over 400 lines: one benchmark script -- CLI, memory probe, rows, report --
that the docs cite by name.)

Builds one ``WSOLClassifier`` (random weights) and times
``model.predict(inputs, samples)`` under ``torch.no_grad()`` -- what the
val/test loops run -- with each localizer in turn: ``CAM`` (on the last
layer), ``GradCAM``, ``GradCAMPlusPlus``, ``PCS`` and ``BagCAMs`` (on
``--layer``), in two scenarios side by side, all in one run:

- ``GT map``: ``topk_maps=0``, the GT-class map only: what ``tools/test.py``
  computes (the metrics read nothing else);
- ``GT + top-k``: the GT map and the ``--topk`` predicted-class maps
  (``T = 1 + k`` maps per image), what the inferencer, ``--out-item pred``
  or ``topk_maps=k`` ask for.

A gradient localizer runs the classifier once (``shared_forward``: the
forward pass records the graph above ``--layer``), then the backward passes
of the ``T`` targets: one batched pass on an accelerator, one pass per target
on the CPU (``--compare-batching`` times both). ``--before`` adds a row per
gradient localizer timing the path used before issue #13.9: a forward pass
for the scores, a second one by the localizer, one backward pass per
target.

Per localizer and scenario (rounds interleave the rows; median): ``ms/img``
of ``predict``, ``x CAM`` (its ratio to CAM's) and ``peak MiB`` above the
memory held before the call: ``torch.cuda.max_memory_allocated`` on CUDA;
on CPU the resident set high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs``), with ``MALLOC_MMAP_THRESHOLD_=65536`` (the
script re-executes itself) so that freed tensors go back to the OS.

**TS-CAM** (``--arch deit-t`` / ``deit-s``: mmpretrain's DeiT with a
``TSCAMHead``): a ``TSCAM`` row is added, and the ratio of each row to the
plain forward pass (``forward``, no maps) is printed below the table: the
cost of a TS-CAM map, the class token attention captured from the layers'
``qkv`` outputs (issue #14.2's goal: <= 1.10).

Example (TinyWSOLNet by default; the table of docs/benchmarks.md)::

    python tools/benchmarks/localizer_speed.py --arch resnet50 --before
    python tools/benchmarks/localizer_speed.py --arch deit-s \
        --localizers GradCAM --layer backbone.layers.11
"""

import argparse
import gc
import json
import logging
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

ARCHS = {
    # backbone, head channels, default layer, default input size
    'tinynet': (dict(type='TinyWSOLNet'), 256, 'backbone.stages.2', 128),
    'resnet50': (
        dict(type='ResNet', depth=50, strides=(1, 2, 1, 1), out_indices=(3,)),
        2048,
        'backbone.layer3',
        224,
    ),
    'inception-v3': (
        dict(type='WSOLInceptionV3', large_feature_map=True),
        1024,
        'backbone.Mixed_6e',
        224,
    ),
    'deit-t': (
        dict(type='VisionTransformer', arch='deit-tiny'),
        192,
        'backbone.layers.11',
        224,
    ),
    'deit-s': (
        dict(type='VisionTransformer', arch='deit-small'),
        384,
        'backbone.layers.11',
        224,
    ),
}
# the head of an arch when it is not CAMHead (CAM then maps its class maps)
HEADS = {'deit-t': 'TSCAMHead', 'deit-s': 'TSCAMHead'}
GRAD_LOCALIZERS = ('GradCAM', 'GradCAMPlusPlus', 'PCS', 'BagCAMs')
BEFORE = ' [before]'


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Time and measure the memory of the gradient-based '
        'localizers against CAM on the same model.'
    )
    parser.add_argument('--arch', choices=sorted(ARCHS), default='tinynet')
    parser.add_argument(
        '--layer',
        help='layer of the gradient localizers (default: '
        'tinynet backbone.stages.2, resnet50 backbone.layer3, inception-v3 '
        'backbone.Mixed_6e)',
    )
    parser.add_argument('--size', type=int, help='input side')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-classes', type=int, default=200)
    parser.add_argument(
        '--topk',
        type=int,
        default=5,
        help='predicted-class maps per image of the second scenario '
        '(plus the GT map; default 5)',
    )
    parser.add_argument(
        '--rounds',
        type=int,
        default=5,
        help='timed rounds, each runs every row once (default 5)',
    )
    parser.add_argument(
        '--before',
        action='store_true',
        help='also time the path of before issue #13.9 (two forward passes, '
        'one backward pass per target)',
    )
    parser.add_argument(
        '--compare-batching',
        action='store_true',
        help='also time each gradient localizer with all targets in one '
        'batched backward pass and with one pass per target',
    )
    parser.add_argument(
        '--localizers',
        nargs='*',
        choices=GRAD_LOCALIZERS,
        default=list(GRAD_LOCALIZERS),
        help='gradient localizers to time (default: all four; none: the '
        'flag alone)',
    )
    parser.add_argument(
        '--clock',
        choices=['wall', 'cpu'],
        default='wall',
        help="'cpu': the process's CPU time (time.process_time) instead of "
        'wall-clock time: with --threads 1, robust to other jobs on the '
        'machine (CPU device only)',
    )
    parser.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results to this file')
    return parser.parse_args(args)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# ---------------------------------------------------------------- memory
class PeakMemory:
    """Peak memory of a call above the memory held before it (bytes)."""

    def __init__(self, device: str):
        import torch

        self.cuda = device.startswith('cuda') and torch.cuda.is_available()
        self.available = self.cuda or os.path.exists('/proc/self/clear_refs')

    @staticmethod
    def _status(key: str) -> int:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) * 1024
        raise KeyError(key)

    def measure(self, fn: Callable[[], object]) -> Optional[int]:
        """Run ``fn`` once and return its peak memory increase."""
        import torch

        gc.collect()
        if self.cuda:
            torch.cuda.synchronize()
            base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            fn()
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - base
        if not self.available:
            fn()
            return None
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset VmHWM to the current VmRSS
        base = self._status('VmRSS')
        fn()
        return self._status('VmHWM') - base


# ------------------------------------------------------------------ model
def build(args: argparse.Namespace):
    """The classifier, inputs and samples."""
    import torch
    from mmengine.logging import MMLogger
    from mmpretrain.structures import DataSample

    from mmwsol.registry import MODELS
    from mmwsol.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    # init_weights() logs one line per parameter
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    backbone, channels, _, _ = ARCHS[args.arch]
    torch.manual_seed(args.seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=backbone,
            head=dict(
                type=HEADS.get(args.arch, 'CAMHead'),
                num_classes=args.num_classes,
                in_channels=channels,
            ),
            localizer=None,
        )
    )
    model.init_weights()
    logger.setLevel(level)
    model = model.to(args.device).eval()
    inputs = torch.randn(
        args.batch_size, 3, args.size, args.size, device=args.device
    )
    labels = torch.randint(args.num_classes, (args.batch_size,)).tolist()
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return model, inputs, samples


def predict_before(model, localizer, inputs, samples, k: int):
    """``predict``'s localization as it was before issue #13.9: a forward
    pass for the scores, then the localizer (``targets_per_pass=1``, outside
    ``shared_forward``) re-runs the model and takes one backward pass per
    target."""
    import torch

    feats = model.extract_feat(inputs)
    logits = model.head(feats)
    targets = torch.stack([s.gt_label[0] for s in samples])[:, None]
    targets = targets.to(logits.device)
    if k > 0:
        targets = torch.cat([targets, logits.topk(k, dim=1).indices], dim=1)
    return localizer.localize_with_validity(
        model, inputs, feats, logits, targets
    )


def rows(args: argparse.Namespace) -> Dict[str, Optional[dict]]:
    """The localizer config of each row (None: the plain forward pass)."""
    out = {'forward': None, 'CAM': dict(type='CAM')}
    if HEADS.get(args.arch) == 'TSCAMHead':
        out['TSCAM'] = dict(type='TSCAM')
    for name in args.localizers:
        out[name] = dict(type=name, layer=args.layer)
    if args.compare_batching:
        for name in args.localizers:
            for tag, per_pass in ((' [batched]', 1000), (' [loop]', 1)):
                out[name + tag] = dict(
                    type=name, layer=args.layer, targets_per_pass=per_pass
                )
    if args.before:
        for name in args.localizers:
            out[name + BEFORE] = dict(
                type=name, layer=args.layer, targets_per_pass=1
            )
    return out


def run(args: argparse.Namespace) -> Dict[str, Dict[str, dict]]:
    """Time every row in both scenarios: ``{scenario: {row: {'ms': ms per
    image, 'peak': peak bytes or None}}}``."""
    import torch

    from mmwsol.registry import MODELS

    model, inputs, samples = build(args)
    localizers = {
        name: (MODELS.build(cfg) if cfg else None)
        for name, cfg in rows(args).items()
    }
    memory = PeakMemory(args.device)
    scenarios = {'GT map': 0, f'GT + top-{args.topk}': args.topk}

    def call(name: str, k: int) -> None:
        batch = [s.clone() for s in samples]
        with torch.no_grad():
            if name.endswith(BEFORE):
                predict_before(model, localizers[name], inputs, batch, k)
            else:
                model.localizer = localizers[name]
                model.topk_maps = k
                model.predict(inputs, batch)
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()

    jobs = [(sc, name) for sc in scenarios for name in localizers]
    # the memory measurement is also the warm-up (and checks they run)
    peaks = {
        job: memory.measure(lambda: call(job[1], scenarios[job[0]]))
        for job in jobs
    }
    clock = time.process_time if args.clock == 'cpu' else time.perf_counter
    times = {job: [] for job in jobs}
    for _ in range(args.rounds):
        for job in jobs:
            start = clock()
            call(job[1], scenarios[job[0]])
            times[job].append(clock() - start)
    results = {sc: {} for sc in scenarios}
    for (sc, name), t in times.items():
        ms = 1000 * statistics.median(t) / args.batch_size
        results[sc][name] = dict(ms=ms, peak=peaks[(sc, name)])
    for sc in results:
        cam = results[sc]['CAM']
        for entry in results[sc].values():
            entry['x_cam'] = entry['ms'] / cam['ms']
            entry['peak_x_cam'] = (
                entry['peak'] / cam['peak']
                if entry['peak'] and cam['peak']
                else None
            )
    return results


def report(
    args: argparse.Namespace, results: Dict[str, Dict[str, dict]]
) -> None:
    """Print the scenarios side by side."""
    import torch

    mem = (
        'CUDA max_memory_allocated'
        if args.device.startswith('cuda')
        else 'CPU peak RSS (VmHWM)'
    )
    print(
        f'arch={args.arch} layer={args.layer} input={args.size}x'
        f'{args.size} batch={args.batch_size} K={args.num_classes} '
        f'device={args.device} torch={torch.__version__} '
        f'threads={torch.get_num_threads()} rounds={args.rounds} (median) '
        f'clock={args.clock}'
    )
    print(
        f'predict ms per image; peak memory: {mem}, above the memory held '
        'before the call'
    )
    scenarios = list(results)
    names = list(results[scenarios[0]])
    width = max(len(n) for n in names) + 2
    cell = 28
    print(f'{"":<{width}}' + ''.join(f'{sc:>{cell}}' for sc in scenarios))
    sub = f'{"ms/img":>12}{"x CAM":>7}{"peak MiB":>9}'
    print(f'{"localizer":<{width}}' + sub * len(scenarios))
    print('-' * (width + cell * len(scenarios)))
    for name in names:
        line = f'{name:<{width}}'
        for sc in scenarios:
            e = results[sc][name]
            peak = (
                f'{e["peak"] / 2**20:9.1f}'
                if e['peak'] is not None
                else f'{"n/a":>9}'
            )
            line += f'{e["ms"]:12.2f}{e["x_cam"]:7.2f}{peak}'
        print(line)
    if 'TSCAM' in names:
        for sc in scenarios:
            fwd = results[sc]['forward']['ms']
            print(
                f'{sc}: x forward (predict without maps): '
                + ', '.join(
                    f'{n} {results[sc][n]["ms"] / fwd:.3f}' for n in names
                )
            )


def write_json(
    path: str, args: argparse.Namespace, results: Dict[str, Dict[str, dict]]
) -> None:
    """Write the settings and the results."""
    import torch

    settings = {
        k: getattr(args, k)
        for k in ('arch', 'layer', 'size', 'batch_size', 'num_classes')
    }
    settings.update(
        clock=args.clock,
        topk=args.topk,
        rounds=args.rounds,
        device=args.device,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
    )
    with open(path, 'w') as f:
        json.dump(dict(settings=settings, results=results), f, indent=2)


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    if (
        sys.platform.startswith('linux')
        and 'MALLOC_MMAP_THRESHOLD_' not in os.environ
        and argv is None
    ):
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    sys.path.insert(
        0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    )
    args = parse_args(argv)
    _, _, layer, size = ARCHS[args.arch]
    args.layer = args.layer or layer
    args.size = args.size or size
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    results = run(args)
    report(args, results)
    if args.json:
        write_json(args.json, args, results)


if __name__ == '__main__':
    main()
