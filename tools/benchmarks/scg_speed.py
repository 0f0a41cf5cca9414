"""Speed and peak memory of SPA's SCG: batched torch vs per-image loops.

For random post-ReLU features of two layers (``--channels`` each, like
VGG16 blocks 4 and 5) at 14x14 and 28x28 and random coarse maps, it times
the whole SCG (self-correlation of both layers, first + second order
combined by ``max``, summed, then the seeds of ``--targets`` coarse maps
per image) three ways, side by side in one run:

- ``batched``: :func:`mmwsol.models.localizers.spa_self_correlation_maps`
  on the whole batch (what the ``SCG`` localizer runs);
- ``torch loop``: the same function called once per image;
- ``numpy loop``: a per-image numpy version written like the authors' code
  (their ``hsc`` per layer, then per target map the columns of the seeds
  selected with fancy indexing, min-max normalised, summed, ...).

All three are checked to agree. They run with one thread each unless
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` are set. Times are
wall-clock ms per image, the median over ``--repeats`` rounds in which the
methods run in turn (in a rotating order); the ratios are
``loop / batched``. Peak memory is the peak of the memory
allocated during one call (over all images): for the torch methods the
bytes of live tensor storages, tracked by a ``TorchDispatchMode`` (works on
CPU, where torch has no allocator statistics), for the numpy loop the
numpy buffers traced by ``tracemalloc``. Inputs are not counted.

Example::

    python tools/benchmarks/scg_speed.py --num-images 16 --channels 512
"""

import os

# One thread per library unless set by the caller: the BLAS threads of numpy
# and the OpenMP threads of torch busy-wait after their calls and steal each
# other's cores when the methods alternate, which distorts the comparison.
for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '1')

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import weakref  # noqa: E402
from typing import Callable, Dict, List, Optional, Sequence  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils._pytree import tree_flatten  # noqa: E402

SIZES = (14, 28)
METHODS = ('batched', 'torch loop', 'numpy loop')
# the authors' CUB defaults
PARAMS = dict(
    order=2, fo_th=0.1, so_th=0.5, so_weight=2.0, obj_th=0.1, bg_th=0.05
)


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Time SCG batched in torch against per-image loops.'
    )
    parser.add_argument(
        '--num-images',
        type=int,
        default=16,
        help='images per batch (default: 16)',
    )
    parser.add_argument(
        '--channels',
        type=int,
        default=512,
        help='channels of each of the 2 layers '
        '(default: 512, VGG16 blocks 4/5)',
    )
    parser.add_argument(
        '--targets',
        type=int,
        default=1,
        help='coarse maps per image (1 = GT only, 6 = GT + top-5; default: 1)',
    )
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=SIZES,
        help='map sides (default: 14 28)',
    )
    parser.add_argument('--repeats', type=int, default=6)
    parser.add_argument(
        '--device',
        default='cpu',
        help='device of the torch methods (default: cpu)',
    )
    parser.add_argument(
        '--no-memory',
        action='store_true',
        help='skip the peak memory measurement',
    )
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(args)


# ----------------------------------------------------------------------------
# the per-image numpy version (like the authors' code)
# ----------------------------------------------------------------------------
def numpy_hsc(
    feat: np.ndarray, order: int, fo_th: float, so_th: float, so_weight: float
) -> np.ndarray:
    """HSC of one ``(C, H, W)`` layer, first and second order by max."""
    c, h, w = feat.shape
    p = h * w
    f = feat.reshape(c, p).T
    f = f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-10)
    s = np.maximum(f @ f.T, 0)
    s[s < fo_th] = 0
    fo = s / (s.sum(axis=0, keepdims=True) + 1e-5)
    s[np.arange(p), np.arange(p)] = 0
    a = s / (s.sum(axis=0, keepdims=True) + 1e-5)
    so = a
    for _ in range(order - 1):
        so = so @ a
        so = so / (so.sum(axis=0, keepdims=True) + 1e-10)
    so[so < so_th / p] = 0
    m = np.maximum(fo, so_weight * so)
    return m / (m.sum(axis=0, keepdims=True) + 1e-10)


def _norm(x: np.ndarray) -> np.ndarray:
    return (x - x.min()) / (x.max() - x.min() + 1e-10)


def numpy_scg_one(
    layers: Sequence[np.ndarray],
    cams: np.ndarray,
    order: int,
    fo_th: float,
    so_th: float,
    so_weight: float,
    obj_th: float,
    bg_th: float,
) -> np.ndarray:
    """SCG of one image: layers ``[(C, H, W)]``, cams ``(T, H, W)``."""
    hsc = sum(numpy_hsc(f, order, fo_th, so_th, so_weight) for f in layers)
    out = []
    for cam in cams:
        v = _norm(cam).reshape(-1)
        parts = []
        for sel in (v >= obj_th, v <= bg_th):
            cols = hsc[:, sel]
            if cols.shape[1] == 0:
                parts.append(0.0)
                continue
            cols = (cols - cols.min(0, keepdims=True)) / (
                cols.max(0, keepdims=True) - cols.min(0, keepdims=True) + 1e-10
            )
            parts.append(_norm(cols.sum(1)))
        m = parts[0] - parts[1]
        m = m * (m >= 0)
        out.append(_norm(m).reshape(cam.shape))
    return np.stack(out)


# ----------------------------------------------------------------------------
# methods
# ----------------------------------------------------------------------------
def make_inputs(
    n: int, channels: int, targets: int, size: int, seed: int
) -> Dict[str, object]:
    """Random post-ReLU features of 2 layers and raw coarse maps."""
    g = torch.Generator().manual_seed(seed + size)
    feats = [
        (torch.randn(n, channels, size, size, generator=g) + 0.2).relu()
        for _ in range(2)
    ]
    coarse = torch.randn(n, targets, size, size, generator=g)
    return dict(feats=feats, coarse=coarse)


def make_methods(
    inputs: Dict[str, object], device: str
) -> Dict[str, Callable[[], np.ndarray]]:
    """The three methods as zero-argument callables returning maps."""
    from mmwsol.models.localizers import spa_self_correlation_maps

    feats_t = [f.to(device) for f in inputs['feats']]
    coarse_t = inputs['coarse'].to(device)
    feats_np = [f.numpy() for f in inputs['feats']]
    coarse_np = inputs['coarse'].numpy()
    n = coarse_np.shape[0]

    def sync():
        if device.startswith('cuda'):
            torch.cuda.synchronize()

    def batched():
        with torch.no_grad():
            out = spa_self_correlation_maps(feats_t, coarse_t, **PARAMS)
        sync()
        return out.cpu().numpy()

    def torch_loop():
        outs = []
        with torch.no_grad():
            for i in range(n):
                outs.append(
                    spa_self_correlation_maps(
                        [f[i : i + 1] for f in feats_t],
                        coarse_t[i : i + 1],
                        **PARAMS,
                    )
                )
        sync()
        return torch.cat(outs).cpu().numpy()

    def numpy_loop():
        return np.stack(
            [
                numpy_scg_one([f[i] for f in feats_np], coarse_np[i], **PARAMS)
                for i in range(n)
            ]
        )

    return {
        'batched': batched,
        'torch loop': torch_loop,
        'numpy loop': numpy_loop,
    }


class TorchPeakMemory(TorchDispatchMode):
    """Track the bytes of live torch tensor storages created inside the
    context (any device, CPU included) and their peak."""

    def __init__(self) -> None:
        super().__init__()
        self.live = 0
        self.peak = 0
        self._keys = set()

    def _free(self, key: int, nbytes: int) -> None:
        self.live -= nbytes
        self._keys.discard(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if getattr(func, 'is_view', False):
            return out  # views (e.g. slices of the inputs) allocate nothing
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key, nbytes = storage.data_ptr(), storage.nbytes()
            if nbytes == 0 or key in self._keys:  # views, in-place ops
                continue
            self._keys.add(key)
            self.live += nbytes
            self.peak = max(self.peak, self.live)
            weakref.finalize(storage, self._free, key, nbytes)
        return out


def peak_memory_mib(method: str, fn: Callable[[], np.ndarray]) -> float:
    """Peak memory (MiB) allocated during one call: torch storages for the
    torch methods, numpy buffers (``tracemalloc``) for the numpy one."""
    gc.collect()
    if method == 'numpy loop':
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20
    with TorchPeakMemory() as tracker:
        fn()
    return tracker.peak / 2**20


def main(args: Optional[List[str]] = None) -> None:
    args = parse_args(args)
    print(
        f'SCG speed: {args.num_images} images, 2 layers x {args.channels} '
        f'channels, {args.targets} coarse map(s) per image, order '
        f'{PARAMS["order"]}, combination max; device {args.device}, '
        f'torch threads {torch.get_num_threads()}; median of '
        f'{args.repeats} rounds'
    )
    header = (
        f'{"map":>6} | '
        + ' | '.join(f'{m:>16}' for m in METHODS)
        + ' | torch loop / batched | numpy loop / batched | max |diff|'
    )
    print(header)
    print('-' * len(header))
    results = {}
    for size in args.sizes:
        inputs = make_inputs(
            args.num_images, args.channels, args.targets, size, args.seed
        )
        methods = make_methods(inputs, args.device)
        outs = {name: fn() for name, fn in methods.items()}  # warm-up
        diff = max(
            float(np.abs(outs[name] - outs['batched']).max())
            for name in METHODS[1:]
        )
        times = {name: [] for name in METHODS}
        names = list(methods)
        for r in range(args.repeats):
            # rotate the order, so that no method always runs first
            for name in names[r % 3 :] + names[: r % 3]:
                fn = methods[name]
                start = time.perf_counter()
                fn()
                times[name].append(
                    (time.perf_counter() - start) * 1e3 / args.num_images
                )
        med = {name: float(np.median(t)) for name, t in times.items()}
        results[size] = med
        cells = ' | '.join(f'{med[m]:>10.2f} ms/im' for m in METHODS)
        print(
            f'{size:>3}x{size:<2} | {cells} | '
            f'{med["torch loop"] / med["batched"]:>20.2f} | '
            f'{med["numpy loop"] / med["batched"]:>20.2f} | {diff:.1e}'
        )
    if args.no_memory:
        return
    print()
    print(
        'peak memory allocated during one call (all images; torch: live '
        'tensor storages, numpy: tracemalloc):'
    )
    print(
        f'{"map":>6} | '
        + ' | '.join(f'{m:>12}' for m in METHODS)
        + ' | batched / torch loop | batched / numpy loop'
    )
    for size in args.sizes:
        inputs = make_inputs(
            args.num_images, args.channels, args.targets, size, args.seed
        )
        methods = make_methods(inputs, args.device)
        mem = {m: peak_memory_mib(m, methods[m]) for m in METHODS}
        cells = ' | '.join(f'{mem[m]:>8.1f} MiB' for m in METHODS)
        print(
            f'{size:>3}x{size:<2} | {cells} | '
            f'{mem["batched"] / mem["torch loop"]:>20.2f} | '
            f'{mem["batched"] / mem["numpy loop"]:>20.2f}'
        )
    for size in args.sizes:
        p = size * size
        print(
            f'(one P x P float32 matrix at {size}x{size}: '
            f'{p * p * 4 / 2**20:.2f} MiB per image)'
        )


if __name__ == '__main__':
    main()
