"""Speed and peak memory of the gradient localizers against CAM.

Builds one ``WSOLClassifier`` (random weights) and times
``model.predict(inputs, samples)`` under ``torch.no_grad()`` -- the
classifier's forward pass plus the localizer, for the GT class and the
top-k predicted classes (``T = 1 + k`` maps per image), exactly what the
val/test loops run -- with each localizer in turn: ``CAM`` (on the last
layer), ``GradCAM``, ``GradCAMPlusPlus``, ``PCS`` and ``BagCAMs`` (on
``--layer``). The gradient localizers re-run the forward pass with grad
enabled above the layer and take ``T`` backward passes down to it.

Reported per localizer, all from one run (rounds interleave the localizers,
the median over rounds is kept):

- ``predict ms/img``: wall-clock time of ``predict`` per image;
- ``loc ms/img``: the same minus the plain forward pass (``predict`` without
  a localizer);
- ``peak MiB``: peak memory above the memory held before the call. On CUDA,
  ``torch.cuda.max_memory_allocated``; on CPU, the process's resident set
  high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``;
  Linux only), with glibc's mmap threshold fixed so that freed tensors go
  back to the OS (the script re-executes itself with
  ``MALLOC_MMAP_THRESHOLD_=65536`` when it is not set);
- ratios against CAM.

Examples::

    python tools/benchmarks/localizer_speed.py                   # TinyWSOLNet
    python tools/benchmarks/localizer_speed.py --arch resnet50 --size 224 \\
        --batch-size 8 --rounds 3                                 # layer3
"""

import argparse
import gc
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

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
}
GRAD_LOCALIZERS = ('GradCAM', 'GradCAMPlusPlus', 'PCS', 'BagCAMs')


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
        default=1,
        help='predicted-class maps per image (plus the GT map; default 1)',
    )
    parser.add_argument(
        '--rounds',
        type=int,
        default=5,
        help='timed rounds, each runs every localizer once (default 5)',
    )
    parser.add_argument('--device', default='cuda' if _cuda() else 'cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--seed', type=int, default=0)
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
    from mmpretrain.structures import DataSample

    from mmwsol.registry import MODELS
    from mmwsol.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    backbone, channels, _, _ = ARCHS[args.arch]
    torch.manual_seed(args.seed)
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=backbone,
            head=dict(
                type='CAMHead',
                num_classes=args.num_classes,
                in_channels=channels,
            ),
            localizer=None,
            topk_maps=args.topk,
        )
    )
    model.init_weights()
    model = model.to(args.device).eval()
    inputs = torch.randn(
        args.batch_size, 3, args.size, args.size, device=args.device
    )
    labels = torch.randint(args.num_classes, (args.batch_size,)).tolist()
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return model, inputs, samples


def run(args: argparse.Namespace) -> Dict[str, Tuple[float, Optional[int]]]:
    """Time every localizer; return ``{name: (ms per image, peak bytes)}``
    with ``'forward'`` for the plain forward pass."""
    import torch

    from mmwsol.registry import MODELS

    model, inputs, samples = build(args)
    localizers = {'forward': None, 'CAM': MODELS.build(dict(type='CAM'))}
    for name in GRAD_LOCALIZERS:
        localizers[name] = MODELS.build(dict(type=name, layer=args.layer))
    memory = PeakMemory(args.device)

    def call(name):
        model.localizer = localizers[name]
        with torch.no_grad():
            out = model.predict(inputs, [s.clone() for s in samples])
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()
        return out

    for name in localizers:  # warm-up (and check that they run)
        call(name)
    peaks = {name: memory.measure(lambda: call(name)) for name in localizers}
    times = {name: [] for name in localizers}
    for _ in range(args.rounds):
        for name in localizers:
            start = time.perf_counter()
            call(name)
            times[name].append(time.perf_counter() - start)
    return {
        name: (1000 * statistics.median(t) / args.batch_size, peaks[name])
        for name, t in times.items()
    }


def report(
    args: argparse.Namespace, results: Dict[str, Tuple[float, Optional[int]]]
) -> None:
    """Print the table."""
    import torch

    fwd_ms = results['forward'][0]
    cam_ms, cam_peak = results['CAM']
    cam_loc = max(cam_ms - fwd_ms, 1e-9)
    mem = (
        'CUDA max_memory_allocated'
        if args.device.startswith('cuda')
        else 'CPU peak RSS (VmHWM)'
    )
    print(
        f'arch={args.arch} layer={args.layer} input={args.size}x'
        f'{args.size} batch={args.batch_size} K={args.num_classes} maps/'
        f'img={1 + args.topk} device={args.device} torch='
        f'{torch.__version__} threads={torch.get_num_threads()} '
        f'rounds={args.rounds} (median)'
    )
    print(f'peak memory: {mem}, above the memory held before the call')
    header = (
        f'{"localizer":<16}{"predict ms/img":>15}{"x CAM":>7}'
        f'{"loc ms/img":>12}{"x CAM":>8}{"peak MiB":>10}{"x CAM":>7}'
    )
    print(header)
    print('-' * len(header))
    for name, (ms, peak) in results.items():
        loc = ms - fwd_ms
        peak_s = (
            f'{peak / 2**20:10.1f}' if peak is not None else f'{"n/a":>10}'
        )
        ratio_m = (
            f'{peak / cam_peak:7.2f}' if peak and cam_peak else f'{"":>7}'
        )
        loc_s = (
            f'{loc:12.2f}{loc / cam_loc:8.1f}'
            if name != 'forward'
            else f'{"":>12}{"":>8}'
        )
        print(
            f'{name:<16}{ms:15.2f}{ms / cam_ms:7.2f}{loc_s}{peak_s}{ratio_m}'
        )


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
    report(args, run(args))


if __name__ == '__main__':
    main()
