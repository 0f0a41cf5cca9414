"""Test a WSOL model (same CLI as mmpretrain's ``tools/test.py``)."""

import argparse
import os
import os.path as osp
import sys

# Let ``python tools/test.py`` work from a source checkout without install.
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmwsol.deps_check import require_runtime  # noqa: E402

# a clear message on a Python without torch / MMEngine (e.g. no venv)
require_runtime('tools/test.py')

from mmengine.config import Config, DictAction  # noqa: E402


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation logs'
    )
    parser.add_argument(
        '--out', help='dump metrics (or predictions) to this .json/.pkl file'
    )
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        default='metrics',
        help='what --out holds: the metrics (default) or the per-sample '
        'predictions (scores, labels; GT and top-5 maps stored as uint8)',
    )
    parser.add_argument(
        '--show-dir',
        help='save overlays (map, predicted and GT boxes) to this dir '
        '(relative to the work dir unless absolute)',
    )
    parser.add_argument(
        '--show-num',
        type=int,
        default=8,
        help='number of overlays to save with --show-dir (-1: all)',
    )
    parser.add_argument(
        '--show-order',
        choices=['spread', 'best', 'worst', 'first'],
        default='spread',
        help='which samples --show-dir draws: round-robin over the classes '
        '(default), the best or worst localized by IoU of the drawn box '
        'with the GT box, or the first ones',
    )
    parser.add_argument(
        '--report',
        metavar='DIR',
        help='write DIR/report.html, one self-contained HTML page of the run '
        '(metrics, curves, per-class accuracy, error analysis, best and '
        'worst localized images); relative to the work dir unless absolute',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_evaluator.box_mode=largest',
    )
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision'
    )
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='disable pin_memory'
    )
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load only the checkpoint keys that fit the model and list the '
        'rest (default: any missing, unexpected or mis-shaped key is an '
        'error)',
    )
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='unpickle any object in the checkpoint (weights_only=False); '
        'only for files you trust: a checkpoint can run code when loaded',
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

    cfg.launcher = args.launcher
    set_work_dir(cfg, args.config, args.work_dir)
    # loaded safely and strictly by StrictLoadHook (see main), not by
    # MMEngine's lenient Runner.load_checkpoint
    cfg.load_from = None
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg', None) or {}, fp16=True)
    if args.out is not None and args.out_item == 'pred':
        # the dump also holds the top-5 predicted-class maps (the metrics
        # need only the GT map: configs say topk_maps=0); --cfg-options
        # model.topk_maps=K overrides
        cfg.model.topk_maps = cfg.model.get('topk_maps', 0) or 5
    # --cfg-options first, so that the hook below sees the final test metric
    # and the dataloader defaults the final num_workers
    try:
        merge_cfg_options(cfg, args.cfg_options)
    except ValueError as error:
        raise SystemExit(f'error: {error}')
    if args.show_dir is not None:
        hooks = list(cfg.get('custom_hooks', []) or [])
        hooks = [h for h in hooks if h.get('type') != 'CAMVisualizationHook']
        hook = dict(
            type='CAMVisualizationHook',
            out_dir=args.show_dir,
            max_samples=args.show_num,
            order=args.show_order,
            all_ranks=args.launcher != 'none',
        )
        hooks.append(hook)
        cfg.custom_hooks = hooks
    if args.report is not None:
        from mmwsol.engine.hooks.report_hook import configure_report

        configure_report(cfg, args.report)
    # the config's one box rule, to the metrics and the overlay hook
    try:
        apply_box_rule(cfg)
    except ValueError as error:
        raise SystemExit(f'error: {error}')
    set_dataloader_defaults(cfg, pin_memory=not args.no_pin_memory)
    from mmwsol.utils.launch import warn_unknown_config_keys

    warn_unknown_config_keys(cfg)
    return cfg


def main() -> None:
    """Build the runner, test, and dump what ``--out`` asks for."""
    args = parse_args()
    if args.out is not None and not args.out.endswith(
        ('.json', '.pkl', '.pickle', '.yaml', '.yml')
    ):
        raise SystemExit('--out must end with .json, .pkl or .yaml')
    import mmengine

    from mmwsol.engine.hooks import StrictLoadHook
    from mmwsol.utils import (
        CheckpointError,
        register_all_modules,
        setup_cpu_distributed,
    )
    from mmwsol.utils.console import build_runner, run_header

    register_all_modules(init_default_scope=False)

    if '://' not in args.checkpoint and not osp.isfile(
        osp.expanduser(args.checkpoint)
    ):
        raise SystemExit(f'error: checkpoint not found: {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    setup_cpu_distributed(cfg, args.launcher)
    # the environment / config / hook dumps go to the log file only
    runner = build_runner(cfg, verbose=args.verbose)
    for line in run_header(runner, args.config, args.verbose):
        runner.logger.info(line)
    runner.register_hook(
        StrictLoadHook(
            args.checkpoint, partial=args.partial_load, unsafe=args.unsafe_load
        )
    )

    if args.out is not None and args.out_item == 'pred':
        from mmwsol.evaluation import DumpWSOLResults

        runner.test_evaluator.metrics.append(
            DumpWSOLResults(out_file_path=args.out)
        )
    try:
        metrics = runner.test()
    except CheckpointError as error:
        raise SystemExit(f'error: {error}')
    if (
        args.out is not None
        and args.out_item == 'metrics'
        and runner.rank == 0
    ):
        mmengine.dump(
            {
                k: (float(v) if hasattr(v, '__float__') else v)
                for k, v in metrics.items()
            },
            args.out,
            indent=2,
        )
        runner.logger.info(f'metrics written to {args.out}')
    if args.show_dir is not None and runner.rank == 0:
        show_dir = osp.join(runner.work_dir, args.show_dir)  # abs: kept
        runner.logger.info(f'overlays written to {show_dir}')


if __name__ == '__main__':
    main()
