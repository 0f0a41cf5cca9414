"""Localize images with a trained WSOL model: overlays + COCO pseudo-labels.

    python tools/localize.py CONFIG CHECKPOINT INPUT [--out DIR] [--topk K]
        [--threshold T] [--standard max|percentile] [--percentile P]
        [--box-mode largest|all|union] [--device cpu] [--batch-size N]
        [--no-overlay] [--save-detections] [--partial-load] [--unsafe-load]
        [--cfg-options KEY=VALUE ...]

A thin command line over :class:`mmwsol.apis.WSOLInferencer`. Boxes follow
the config's box rule (its top-level ``box_rule``: the rule of the metric's
GT-known / Top-1 Loc); ``--threshold``, ``--standard``, ``--percentile`` and
``--box-mode`` override single fields of it.

INPUT is an image file, a folder (searched recursively for image files) or
a list file (any other file: one image path per line, relative to the list
file's folder; empty lines and ``#`` comments are skipped).

Writes to ``--out`` (default ``work_dirs/localize``):

- ``overlays/<relative path>.png``: the top-1 map as a heat overlay, the
  boxes of the top-k maps with class name and score; the relative path
  mirrors INPUT (relative to the folder / the list's folder; the file name
  for a single image).
- ``pseudo_labels.json``: one COCO *dataset* file for all images
  (``images`` with ``file_name`` = the relative path, ``categories`` with
  ``id = class + 1``, ``annotations`` with ``bbox = [x, y, w, h]`` in
  original image pixels, ``area``, ``iscrowd = 0``, ``category_id``,
  ``score``), loadable by ``pycocotools`` and MMDetection's ``CocoDataset``
  as pseudo-labels. Its ``info`` holds the settings and the list of images
  that failed (``failed``: file and error).
- with ``--save-detections``, ``detections.json``: the same boxes as a COCO
  *results* list (``COCO.loadRes`` / ``COCOeval`` format).

The checkpoint is loaded with ``weights_only=True`` and must fit the model
(see docs/checkpoints.md); a refused or unfitting checkpoint is an error
(exit code 1) before anything is written.

Unreadable images are reported when met, skipped, and listed again at the
end; the exit code is 0 when at least one image was localized, 1 when all
of them failed (or INPUT holds no image, or the checkpoint was refused), 2
for a malformed list file.
"""

import argparse
import os
import os.path as osp
import sys
import time

# Let ``python tools/localize.py`` work from a source checkout without install.
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Localize images: overlays and COCO pseudo-labels',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 3)[3],
    )
    parser.add_argument('config', help='model config file (or config name)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='image file, folder or list file')
    parser.add_argument(
        '--out', default='work_dirs/localize', help='output folder'
    )
    parser.add_argument(
        '--topk',
        type=int,
        default=1,
        help='maps and boxes for the top-k predicted classes (default 1)',
    )
    parser.add_argument(
        '--threshold',
        type=float,
        default=None,
        help="box threshold θ (default: the config's box_rule, else 0.2)",
    )
    parser.add_argument(
        '--standard',
        choices=['max', 'percentile'],
        default=None,
        help='threshold standard: θ·max or θ·percentile of the map '
        "(default: the config's box_rule, else max)",
    )
    parser.add_argument(
        '--percentile',
        type=float,
        default=None,
        help="percentile of --standard percentile (default: the config's "
        'box_rule, else 90)',
    )
    parser.add_argument(
        '--box-mode',
        choices=['largest', 'all', 'union'],
        default=None,
        help='box of the largest contour, of every contour, or around all '
        "foreground (default: the config's box_rule, else largest)",
    )
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--batch-size', type=int, default=8, help='images per forward pass'
    )
    parser.add_argument(
        '--no-overlay', action='store_true', help='write no overlay PNGs'
    )
    parser.add_argument(
        '--save-detections',
        action='store_true',
        help='also write detections.json (COCO results list)',
    )
    parser.add_argument(
        '--alpha', type=float, default=0.5, help='heat map weight in overlays'
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
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. box_rule.threshold=0.3',
    )
    args = parser.parse_args(argv)
    if args.topk < 1:
        parser.error('--topk must be >= 1')
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    return args


def main(argv=None) -> int:
    """Run the tool; returns the exit code."""
    args = parse_args(argv)
    from mmwsol.apis.inputs import (
        IMG_EXTENSIONS,
        ListFileError,
        collect_inputs,
    )

    try:
        items = collect_inputs(args.input)
    except ListFileError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    if not items:
        print(
            f'error: no image files ({", ".join(IMG_EXTENSIONS)}) in '
            f'{args.input}',
            file=sys.stderr,
        )
        return 1

    import mmengine

    from mmwsol.apis import (
        WSOLInferencer,
        results_to_coco,
        results_to_coco_detections,
    )
    from mmwsol.utils import CheckpointError

    try:
        inferencer = WSOLInferencer(
            args.config,
            args.checkpoint,
            device=args.device,
            cfg_options=args.cfg_options,
            partial_load=args.partial_load,
            unsafe_load=args.unsafe_load,
        )
    except (CheckpointError, FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    classes = inferencer.classes
    if classes is None and hasattr(inferencer.model, 'head'):
        classes = [str(c) for c in range(inferencer.model.head.num_classes)]

    origins = {path: origin for path, _, origin in items}
    failed = []

    def on_error(path: str, error: Exception) -> None:
        message = str(error) if path in str(error) else f'{path}: {error}'
        if origins[path] != path:  # a list entry: name the list file, line
            message = f'{origins[path]}: {message}'
        failed.append(dict(file=path, error=message))
        print(f'error: {message} (skipped)', file=sys.stderr)

    overlays = None if args.no_overlay else osp.join(args.out, 'overlays')
    start = time.time()
    print(f'Localizing {len(items)} image(s) from {args.input}')
    try:
        results = inferencer(
            [path for path, _, _ in items],
            batch_size=args.batch_size,
            progress=True,
            names=[rel for _, rel, _ in items],
            on_error=on_error,
            topk=args.topk,
            threshold=args.threshold,
            threshold_standard=args.standard,
            percentile=args.percentile,
            box_mode=args.box_mode,
            out_dir=overlays,
            alpha=args.alpha,
        )
    except ValueError as e:  # a bad box rule override
        print(f'error: {e}', file=sys.stderr)
        return 1
    done = {r.img_path for r in results}
    names = [
        rel.replace(os.sep, '/') for path, rel, _ in items if path in done
    ]
    info = dict(
        description='mmwsol pseudo-labels (tools/localize.py)',
        date_created=time.strftime('%Y-%m-%d %H:%M:%S'),
        config=args.config,
        checkpoint=args.checkpoint,
        input=args.input,
        topk=args.topk,
        bbox_coordinates='original image pixels, [x, y, w, h]',
        category_ids='class index + 1',
        num_images=len(items),
        num_localized=len(results),
        failed=failed,
        **(results[0].box_rule if results else {}),
    )
    coco = results_to_coco(results, names, classes, info)
    json_path = osp.join(args.out, 'pseudo_labels.json')
    mmengine.dump(coco, json_path, indent=1)
    if args.save_detections:
        mmengine.dump(
            results_to_coco_detections(results),
            osp.join(args.out, 'detections.json'),
            indent=1,
        )

    print(
        f'{len(results)}/{len(items)} image(s) localized in '
        f'{time.time() - start:.1f} s, {len(coco["annotations"])} box(es)'
    )
    if not args.no_overlay:
        print(f'  overlays:      {osp.join(args.out, "overlays")}/')
    print(f'  pseudo-labels: {json_path} (COCO dataset format)')
    if args.save_detections:
        print(
            f'  detections:    {osp.join(args.out, "detections.json")} '
            '(COCO results format)'
        )
    if failed:
        print(f'{len(failed)} image(s) failed:', file=sys.stderr)
        for entry in failed:
            print(f'  {entry["error"]}', file=sys.stderr)
    return 0 if results else 1


if __name__ == '__main__':
    sys.exit(main())
