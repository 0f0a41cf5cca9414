"""Localize images with a trained WSOL model: overlays + COCO pseudo-labels.

    python tools/localize.py CONFIG CHECKPOINT INPUT [--out DIR] [--topk K]
        [--threshold T] [--standard max|percentile] [--percentile P]
        [--box-mode largest|all|union] [--device cpu] [--batch-size N]
        [--no-overlay] [--save-detections] [--partial-load] [--unsafe-load]

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
from typing import List, Tuple

# Let ``python tools/localize.py`` work from a source checkout without install.
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

IMG_EXTENSIONS = (
    '.jpg',
    '.jpeg',
    '.png',
    '.ppm',
    '.bmp',
    '.pgm',
    '.tif',
    '.tiff',
    '.webp',
)


class ListFileError(ValueError):
    """A malformed line of a list file (the message names file:line)."""


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Localize images: overlays and COCO pseudo-labels',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2],
    )
    parser.add_argument('config', help='model config file')
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
        help="box threshold θ (default: the config's box metric, else 0.2)",
    )
    parser.add_argument(
        '--standard',
        choices=['max', 'percentile'],
        default=None,
        help='threshold standard: θ·max or θ·percentile of the map '
        "(default: the config's, else max)",
    )
    parser.add_argument(
        '--percentile',
        type=float,
        default=None,
        help='percentile of --standard percentile (default: config, else 90)',
    )
    parser.add_argument(
        '--box-mode',
        choices=['largest', 'all', 'union'],
        default='largest',
        help='box of the largest contour (default), of every contour, or '
        'around all foreground',
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
    args = parser.parse_args(argv)
    if args.topk < 1:
        parser.error('--topk must be >= 1')
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    return args


def is_image_file(path: str) -> bool:
    """Whether a path has an image extension."""
    return path.lower().endswith(IMG_EXTENSIONS)


def collect_inputs(source: str) -> List[Tuple[str, str, str]]:
    """The images of INPUT.

    Args:
        source (str): An image file, a folder or a list file.

    Returns:
        list[tuple[str, str, str]]: ``(path, relative name, origin)`` per
        image; ``origin`` is ``list.txt:LINE`` for list entries, else the
        path.

    Raises:
        FileNotFoundError: INPUT does not exist.
        ListFileError: A list line does not name an image file.
    """
    if osp.isdir(source):
        items = []
        for root, dirs, files in os.walk(source, followlinks=True):
            dirs.sort()
            for name in sorted(files):
                if is_image_file(name):
                    path = osp.join(root, name)
                    items.append((path, osp.relpath(path, source), path))
        return items
    if not osp.isfile(source):
        raise FileNotFoundError(f'INPUT not found: {source}')
    if is_image_file(source):
        return [(source, osp.basename(source), source)]
    base = osp.dirname(osp.abspath(source))
    items = []
    with open(source) as f:
        for lineno, line in enumerate(f, 1):
            entry = line.strip()
            if not entry or entry.startswith('#'):
                continue
            origin = f'{source}:{lineno}'
            if not is_image_file(entry):
                raise ListFileError(
                    f'{origin}: {entry!r} is not an image file name '
                    f'(one image path per line, extensions '
                    f'{", ".join(IMG_EXTENSIONS)})'
                )
            path = entry if osp.isabs(entry) else osp.join(base, entry)
            rel = osp.normpath(entry)
            if osp.isabs(rel) or rel.startswith('..'):
                rel = rel.lstrip(os.sep).replace('..', '__')
            items.append((path, rel, origin))
    return items


def overlay_path(out_dir: str, rel: str, used: set) -> str:
    """``out_dir/overlays/<rel without extension>.png``, made unique."""
    stem = osp.splitext(rel)[0]
    path = osp.join(out_dir, 'overlays', stem + '.png')
    n = 1
    while path in used:
        path = osp.join(out_dir, 'overlays', f'{stem}_{n}.png')
        n += 1
    used.add(path)
    return path


def main(argv=None) -> int:
    """Run the tool; returns the exit code."""
    args = parse_args(argv)
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

    import cv2
    import mmengine
    from mmengine.utils import ProgressBar

    from mmwsol.apis import (
        draw_localization,
        init_localizer,
        load_image,
        localize_loaded,
        results_to_coco,
        results_to_coco_detections,
    )
    from mmwsol.utils import CheckpointError

    try:
        model = init_localizer(
            args.config,
            args.checkpoint,
            device=args.device,
            partial_load=args.partial_load,
            unsafe_load=args.unsafe_load,
        )
    except (CheckpointError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    classes = model.dataset_meta.get('classes')
    if classes is None:
        classes = (
            [str(c) for c in range(model.head.num_classes)]
            if hasattr(getattr(model, 'head', None), 'num_classes')
            else None
        )

    results, names, failed, used = [], [], [], set()
    start = time.time()
    print(f'Localizing {len(items)} image(s) from {args.input}')
    progress = ProgressBar(len(items))

    def flush(batch):
        if not batch:
            return
        outs = localize_loaded(
            model,
            [data for data, _, _ in batch],
            args.topk,
            args.threshold,
            args.standard,
            args.percentile,
            args.box_mode,
        )
        for (_, image, (path, rel, _)), result in zip(batch, outs):
            results.append(result)
            names.append(rel.replace(os.sep, '/'))
            if not args.no_overlay:
                out_path = overlay_path(args.out, rel, used)
                os.makedirs(osp.dirname(out_path), exist_ok=True)
                cv2.imwrite(
                    out_path, draw_localization(image, result, args.alpha)
                )
            progress.update()

    batch = []
    for item in items:
        path, _, origin = item
        try:
            data, image = load_image(model, path, return_image=True)
        except Exception as e:  # unreadable or undecodable: skip it
            message = str(e) if path in str(e) else f'{path}: {e}'
            if origin != path:  # a list entry: name the list file and line
                message = f'{origin}: {message}'
            failed.append(dict(file=path, error=message))
            print(f'\nerror: {message} (skipped)', file=sys.stderr)
            progress.update()
            continue
        batch.append((data, image, item))
        if len(batch) == args.batch_size:
            flush(batch)
            batch = []
    flush(batch)

    box_cfg = results[0].threshold if results else {}
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
        **box_cfg,
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
        f'\n{len(results)}/{len(items)} image(s) localized in '
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
