"""Training images/s of a WSOL CAM model against plain mmpretrain.

Times ``model.train_step`` (data preprocessor, forward, loss, backward,
SGD step; MMEngine's ``AmpOptimWrapper`` with ``--amp``) on random images of
the same backbone, side by side in one run (rounds interleave the models,
the median over rounds is kept):

- ``wsol-cam``: ``WSOLClassifier`` + ``CAMHead`` (GAP + linear), the CAM
  model of ``configs/_base_/models`` (ResNet50: layer4 stride 1, 14x14);
- ``mmpretrain``: ``ImageClassifier`` + ``GlobalAveragePooling`` +
  ``LinearClsHead`` on the very same backbone config: the ratio of the two
  is the overhead of the WSOL classes;
- ``mmpretrain-stock`` (ResNet50 only): the same with mmpretrain's stock
  ResNet50 strides (7x7 last stage): the cost of the WSOL feature map size.

Examples::

    python tools/benchmarks/train_speed.py --device cuda --batch-size 64
    python tools/benchmarks/train_speed.py --arch tinynet --size 64 \\
        --batch-size 4 --iters 2 --rounds 1 --device cpu      # a smoke run
"""

import argparse
import json
import logging
import os
import statistics
import sys
import time
from typing import Dict, List, Optional

ARCHS = {
    # WSOL backbone, stock backbone (or None), head channels, input size
    'resnet50': (
        dict(type='ResNet', depth=50, strides=(1, 2, 2, 1), out_indices=(3,)),
        dict(type='ResNet', depth=50, out_indices=(3,)),
        2048,
        224,
    ),
    'tinynet': (dict(type='TinyWSOLNet'), None, 256, 128),
}


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', choices=sorted(ARCHS), default='resnet50')
    parser.add_argument('--size', type=int, help='input side')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--num-classes', type=int, default=200)
    parser.add_argument(
        '--iters', type=int, default=10, help='train steps per round'
    )
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--device', default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results to this file')
    return parser.parse_args(args)


def build_models(args: argparse.Namespace) -> Dict[str, object]:
    """The models to compare, on ``args.device``, in train mode."""
    import torch
    from mmengine.logging import MMLogger

    from mmwsol.registry import MODELS
    from mmwsol.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    wsol_backbone, stock_backbone, channels, _ = ARCHS[args.arch]
    head = dict(
        num_classes=args.num_classes,
        in_channels=channels,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
    )
    cfgs = {
        'wsol-cam': dict(
            type='WSOLClassifier',
            backbone=wsol_backbone,
            head=dict(type='CAMHead', pool=dict(type='GAP'), **head),
        ),
        'mmpretrain': dict(
            type='mmpretrain.ImageClassifier',
            backbone=wsol_backbone,
            neck=dict(type='mmpretrain.GlobalAveragePooling'),
            head=dict(type='mmpretrain.LinearClsHead', **head),
        ),
    }
    if stock_backbone is not None:
        cfgs['mmpretrain-stock'] = dict(
            cfgs['mmpretrain'], backbone=stock_backbone
        )
    models = {}
    for name, cfg in cfgs.items():
        torch.manual_seed(args.seed)
        model = MODELS.build(cfg)
        model.init_weights()
        models[name] = model.to(args.device).train()
    logger.setLevel(level)
    return models


def optim_wrapper(model, args: argparse.Namespace):
    """SGD in MMEngine's (AMP) optimizer wrapper, as the configs use it."""
    import torch
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    if args.amp:
        return AmpOptimWrapper(optimizer=optimizer)
    return OptimWrapper(optimizer=optimizer)


def batch(args: argparse.Namespace) -> dict:
    """A batch as the data loader gives it: uint8 images and samples."""
    import torch
    from mmpretrain.structures import DataSample

    g = torch.Generator().manual_seed(args.seed)
    images = torch.randint(
        0, 256, (args.batch_size, 3, args.size, args.size), generator=g
    ).to(torch.uint8)
    labels = torch.randint(args.num_classes, (args.batch_size,), generator=g)
    return dict(
        inputs=list(images),
        data_samples=[DataSample().set_gt_label(int(i)) for i in labels],
    )


def run(args: argparse.Namespace) -> Dict[str, dict]:
    """Images/s of each model; also the last loss (finite check)."""
    import torch

    models = build_models(args)
    wrappers = {name: optim_wrapper(m, args) for name, m in models.items()}
    data = batch(args)
    cuda = str(args.device).startswith('cuda')

    def steps(name: str, num: int) -> float:
        for _ in range(num):
            losses = models[name].train_step(data, wrappers[name])
        if cuda:
            torch.cuda.synchronize()
        return float(sum(v.detach() for k, v in losses.items() if 'loss' in k))

    last = {name: steps(name, 1) for name in models}  # warm-up
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name in models:
            start = time.perf_counter()
            last[name] = steps(name, args.iters)
            times[name].append(time.perf_counter() - start)
    results = {}
    for name, t in times.items():
        results[name] = dict(
            images_per_s=args.iters * args.batch_size / statistics.median(t),
            last_loss=last[name],
        )
    base = results['mmpretrain']['images_per_s']
    for entry in results.values():
        entry['time_x_mmpretrain'] = base / entry['images_per_s']
    return results


def report(args: argparse.Namespace, results: Dict[str, dict]) -> None:
    """Print the table."""
    import torch

    print(
        f'arch={args.arch} input={args.size} batch={args.batch_size} '
        f'K={args.num_classes} amp={args.amp} device={args.device} '
        f'torch={torch.__version__} iters={args.iters} rounds='
        f'{args.rounds} (median)'
    )
    print(f'{"model":<18}{"images/s":>10}{"time x mmpretrain":>19}')
    for name, e in results.items():
        print(
            f'{name:<18}{e["images_per_s"]:10.1f}'
            f'{e["time_x_mmpretrain"]:19.2f}'
        )


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point."""
    sys.path.insert(
        0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    )
    args = parse_args(argv)
    import torch

    args.device = args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'
    )
    args.size = args.size or ARCHS[args.arch][3]
    results = run(args)
    report(args, results)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(settings=vars(args), results=results), f, indent=2)


if __name__ == '__main__':
    main()
