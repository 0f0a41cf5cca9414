"""Generate the embedded synthetic WSOL dataset (idempotent).

Examples::

    python tools/dataset_converters/make_synthetic.py --out data/synthetic
    python tools/dataset_converters/make_synthetic.py --out data/syn_small \\
        --num-classes 4 --num-train 20 --image-size 160 96 --size-jitter 0.2

If ``OUT/meta.json`` records the same parameters (and every split is
complete) the tool prints that the set is up to date and exits at once;
``--force`` regenerates. The defaults are
``mmwsol.synthetic.SYNTHETIC_DEFAULTS``.

The generator, :mod:`mmwsol.synthetic`, needs only numpy and OpenCV
(importing it pulls neither torch nor mmpretrain): the tool starts in a
fraction of a second and also works from a plain checkout.
"""

import argparse
import os.path as osp
import sys
import time
from typing import List, Optional

_REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if osp.isdir(osp.join(_REPO_ROOT, 'mmwsol')) and _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)  # a plain checkout, not installed

from mmwsol import synthetic as gen  # noqa: E402


def parse_args(
    argv: Optional[List[str]] = None, defaults: Optional[dict] = None
) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.
        defaults (dict, optional): Default parameters (``SYNTHETIC_DEFAULTS``).

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    d = defaults or gen.SYNTHETIC_DEFAULTS
    parser = argparse.ArgumentParser(
        description='Generate the synthetic WSOL dataset (parts on bodies) '
        'in the wsolevaluation metadata format.'
    )
    parser.add_argument(
        '--out',
        default='data/synthetic',
        help='output root (default: %(default)s)',
    )
    parser.add_argument('--seed', type=int, default=d['seed'])
    parser.add_argument('--num-classes', type=int, default=d['num_classes'])
    parser.add_argument(
        '--num-train',
        type=int,
        default=d['num_train'],
        help='train images per class (default: %(default)s)',
    )
    parser.add_argument(
        '--num-val',
        type=int,
        default=d['num_val'],
        help='val images per class (default: %(default)s)',
    )
    parser.add_argument(
        '--num-test',
        type=int,
        default=d['num_test'],
        help='test images per class (default: %(default)s)',
    )
    parser.add_argument(
        '--image-size',
        type=int,
        nargs='+',
        default=list(d['image_size']),
        metavar='PIXELS',
        help='side, or width and height (default: %(default)s)',
    )
    parser.add_argument(
        '--size-jitter',
        type=float,
        default=d['size_jitter'],
        help='vary each image width/height by up to this '
        'fraction (default: %(default)s)',
    )
    parser.add_argument(
        '--two-instance-prob', type=float, default=d['two_instance_prob']
    )
    parser.add_argument(
        '--ignore-band',
        type=int,
        default=d['ignore_band'],
        help='pixels outside the object marked as ignore in '
        'the val/test ignore masks (default: %(default)s)',
    )
    parser.add_argument(
        '--workers',
        type=int,
        default=None,
        help='threads (the output does not depend on it)',
    )
    parser.add_argument(
        '--preview',
        default=None,
        metavar='PNG',
        help='also save a grid of val images with their GT',
    )
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even if the set is up to date, '
        'replacing OUT/images, OUT/masks and OUT/metadata '
        'even if another tool wrote them',
    )
    args = parser.parse_args(argv)
    if len(args.image_size) not in (1, 2):
        parser.error('--image-size takes one or two integers')
    return args


def args_to_params(args: argparse.Namespace) -> dict:
    """Generation parameters (``SyntheticSpec`` fields) from the arguments.

    Args:
        args (argparse.Namespace): Parsed arguments.

    Returns:
        dict: Keyword arguments for ``generate_synthetic_dataset``.
    """
    size = args.image_size
    return dict(
        seed=args.seed,
        num_classes=args.num_classes,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        image_size=(size[0], size[0]) if len(size) == 1 else tuple(size),
        size_jitter=args.size_jitter,
        two_instance_prob=args.two_instance_prob,
        ignore_band=args.ignore_band,
    )


def main(argv: Optional[List[str]] = None) -> int:
    """Run the tool.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: Exit status.
    """
    args = parse_args(argv, gen.SYNTHETIC_DEFAULTS)
    try:
        params = args_to_params(args)
        gen.resolve_params(**params)  # validate before touching the disk
    except (TypeError, ValueError) as err:
        print(f'make_synthetic: error: {err}', file=sys.stderr)
        return 2
    if not args.force and gen.is_up_to_date(args.out, **params):
        print(
            f'{args.out} is up to date (seed {args.seed}); '
            'use --force to regenerate.'
        )
    else:
        if osp.isfile(osp.join(args.out, 'meta.json')) and not args.force:
            print(
                f'{args.out} was made with other parameters or is '
                'incomplete; regenerating.'
            )
        start = time.time()
        try:
            summary = gen.generate_synthetic_dataset(
                args.out,
                overwrite=args.force,
                num_workers=args.workers,
                **params,
            )
        except FileExistsError as err:
            print(f'make_synthetic: error: {err}', file=sys.stderr)
            return 2
        counts = ', '.join(
            f'{split} {n}' for split, n in summary['num_images'].items()
        )
        print(
            f'Wrote {len(summary["classes"])} classes ({counts} images) to '
            f'{args.out} in {time.time() - start:.1f}s.'
        )
    if args.preview:
        import cv2

        cv2.imwrite(args.preview, gen.make_preview_grid(args.out, 'val'))
        print(f'Saved a preview grid to {args.preview}.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
