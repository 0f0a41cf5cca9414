"""Evaluate saved score maps (from any code base) with the WSOL protocol.

Example::

    python tools/analysis/eval_scoremaps.py \\
        --metadata data/cub/metadata/test --scoremaps work_dirs/x/scoremaps \\
        --interval 0.001 --out metrics.json --curves curves.json
"""

import argparse
from typing import Dict, List, Optional

from mmwsol.evaluation.metrics.wsol_summary import write_json
from mmwsol.evaluation.offline import (
    PROTOCOL_MAP_SIZE,
    RESIZE_NORMS,
    evaluate_scoremaps,
)


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Evaluate saved score maps (<image_id>.npy, 2-D float in '
        '[0, 1]) against a WSOL metadata folder: MaxBoxAccV2 / MaxBoxAcc '
        'on boxes, PxAP / pIoU on masks.'
    )
    parser.add_argument(
        '--metadata',
        required=True,
        help='metadata folder of one split (image_ids.txt, '
        'class_labels.txt, image_sizes.txt, '
        'localization.txt)',
    )
    parser.add_argument(
        '--scoremaps', required=True, help='folder of the maps, <image_id>.npy'
    )
    parser.add_argument(
        '--interval',
        type=float,
        default=0.01,
        help='CAM threshold step (default 0.01; the '
        "community's final numbers use 0.001)",
    )
    version = parser.add_mutually_exclusive_group()
    version.add_argument(
        '--box-v2',
        dest='box_mode',
        action='store_const',
        const='all',
        help='MaxBoxAccV2: boxes around all contours, IoU 30/50/70 (default)',
    )
    version.add_argument(
        '--box-v1',
        dest='box_mode',
        action='store_const',
        const='largest',
        help='MaxBoxAcc (V1): the largest contour, IoU 50',
    )
    parser.set_defaults(box_mode='all')
    parser.add_argument(
        '--iou-thresholds',
        type=float,
        nargs='+',
        help='IoU thresholds in percent (default 30 50 70 '
        'with --box-v2, 50 with --box-v1)',
    )
    parser.add_argument(
        '--no-box',
        action='store_true',
        help='skip the box metrics even when the metadata has boxes',
    )
    parser.add_argument(
        '--mask',
        action='store_true',
        help='also compute PxAP / pIoU (automatic for mask-only metadata)',
    )
    parser.add_argument(
        '--mask-root',
        default='',
        help='folder the mask paths of the metadata are relative to',
    )
    parser.add_argument(
        '--mask-file',
        default=None,
        help='mask file in the metadata folder when '
        'localization.txt holds boxes (default: '
        'localization_mask.txt if present)',
    )
    parser.add_argument(
        '--localization-file',
        default='localization.txt',
        help='boxes or masks file in the metadata folder',
    )
    parser.add_argument(
        '--image-root',
        default='',
        help='image folder; read only for images without a '
        'size in image_sizes.txt',
    )
    parser.add_argument(
        '--map-size',
        type=int,
        nargs='+',
        default=list(PROTOCOL_MAP_SIZE),
        help='evaluation size H [W] (default 224); maps of '
        'another size are resized (INTER_CUBIC)',
    )
    parser.add_argument(
        '--resize-norm',
        choices=RESIZE_NORMS,
        default='minmax',
        help='after resizing a map: min-max normalise '
        '(default, as wsolevaluation does after upsampling '
        'a CAM) or clip to [0, 1]',
    )
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--curves',
        help='write the per-threshold curves to '
        'this JSON file (for tools/analysis/plot_curves.py)',
    )
    parser.add_argument(
        '--no-progress',
        action='store_true',
        help='do not show the progress (a live bar on a terminal, a '
        'line per 10 %% elsewhere)',
    )
    parsed = parser.parse_args(args)
    if len(parsed.map_size) not in (1, 2):
        parser.error('--map-size takes H or H W')
    if parsed.no_box and not parsed.mask:
        parser.error('--no-box needs --mask (nothing else to evaluate)')
    return parsed


def format_metrics(metrics: Dict[str, float]) -> str:
    """The metrics as aligned ``name value`` lines."""
    width = max(len(name) for name in metrics)
    return '\n'.join(
        f'{name:<{width}}  {value:.4f}' for name, value in metrics.items()
    )


def main(args: Optional[List[str]] = None) -> Dict[str, float]:
    """Run the evaluation; returns the metrics."""
    args = parse_args(args)
    map_size = args.map_size * 2 if len(args.map_size) == 1 else args.map_size
    metrics = evaluate_scoremaps(
        metadata_dir=args.metadata,
        scoremap_dir=args.scoremaps,
        image_root=args.image_root,
        mask_root=args.mask_root,
        localization_file=args.localization_file,
        mask_file=args.mask_file,
        box=False if args.no_box else None,
        mask=True if args.mask else None,
        box_mode=args.box_mode,
        iou_thresholds=args.iou_thresholds,
        interval=args.interval,
        map_size=map_size,
        resize_norm=args.resize_norm,
        curves_file=args.curves,
        progress=not args.no_progress,
    )
    print()
    print(format_metrics(metrics))
    if args.out:
        write_json(args.out, metrics)
        print(f'metrics written to {args.out}')
    if args.curves:
        print(f'curves written to {args.curves}')
    return metrics


if __name__ == '__main__':
    main()
