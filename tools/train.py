"""Train a WSOL model (same CLI as mmpretrain's ``tools/train.py``)."""

import argparse
import os
import os.path as osp
import sys

# Let ``python tools/train.py`` work from a source checkout without install.
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmwsol.deps_check import require_runtime  # noqa: E402

# a clear message on a Python without torch / MMEngine (e.g. no venv)
require_runtime('tools/train.py')

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train a WSOL model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, resume from the '
        'latest checkpoint in the work dir',
    )
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision'
    )
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training',
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the actual / base batch size',
    )
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='disable pin_memory'
    )
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers',
    )
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='unpickle any object in the checkpoints read (--resume, '
        'load_from, Pretrained init_cfg) with weights_only=False; only for '
        'files you trust: a checkpoint can run code when loaded',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=3',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='also print the environment, the full config and the hook '
        'table on the console (they are always in the log file)',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line into the config."""
    from mmwsol.utils import (
        apply_box_rule,
        merge_cfg_options,
        set_dataloader_defaults,
        set_work_dir,
    )

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)
    if args.amp:
        import torch

        if not torch.cuda.is_available():
            raise SystemExit(
                '--amp trains with torch.cuda.amp (MMEngine AmpOptimWrapper) '
                'and needs a CUDA device; none is available here.'
            )
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    # --cfg-options first, so that the safe dataloader defaults below see
    # the final num_workers (persistent_workers needs workers)
    try:
        merge_cfg_options(cfg, args.cfg_options)
        apply_box_rule(cfg)  # the one box rule, to metrics and hooks
    except ValueError as error:
        raise SystemExit(f'error: {error}')
    set_dataloader_defaults(
        cfg,
        pin_memory=not args.no_pin_memory,
        persistent_workers=not args.no_persistent_workers,
    )
    from mmwsol.utils.launch import (
        fit_param_schedulers,
        warn_unknown_config_keys,
    )

    fit_param_schedulers(cfg)  # any max_epochs >= 1 (#12)
    warn_unknown_config_keys(cfg)
    return cfg


def main() -> None:
    """Build the runner from the config and train."""
    args = parse_args()
    from mmwsol.utils import (
        CheckpointError,
        checkpoint_loading,
        register_all_modules,
        setup_cpu_distributed,
    )
    from mmwsol.utils.console import build_runner, run_header

    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    setup_cpu_distributed(cfg, args.launcher)
    # the environment / config / hook dumps go to the log file only
    runner = build_runner(cfg, verbose=args.verbose)
    for line in run_header(runner, args.config, args.verbose):
        runner.logger.info(line)
    # MMEngine reads the checkpoints (resume, load_from: lenient, as in
    # mmpretrain) with weights_only=True; this admits the types MMEngine
    # checkpoints hold, for this call only (see mmwsol.utils.checkpoint)
    try:
        with checkpoint_loading(
            unsafe=args.unsafe_load,
            source='checkpoint (--resume / load_from / init_cfg)',
        ):
            runner.train()
    except CheckpointError as error:
        raise SystemExit(f'error: {error}')


if __name__ == '__main__':
    main()
