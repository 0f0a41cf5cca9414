"""Convert the raw CUB-200-2011 release to the wsolevaluation metadata format.

Reads ``images.txt`` (``id relpath``), ``image_class_labels.txt``
(``id label``, labels 1..200), ``train_test_split.txt`` (``id is_train``),
``bounding_boxes.txt`` (``id x y w h``, floats) and, when present,
``classes.txt`` from ``--cub-root``, and writes under ``--out``::

    train/  image_ids.txt class_labels.txt image_sizes.txt localization.txt
    val/    the same (+ localization_mask.txt with --segmentations)
    test/   the same (+ localization_mask.txt with --segmentations)
    classes.txt

Conventions (checked against the community metadata, clovaai/wsolevaluation
``metadata/CUB``):

* Labels are written 0-based (``label - 1``); images are listed in
  ``images.txt`` order (ascending id), as the community files are.
* Boxes: ``x0 = x``, ``y0 = y``, ``x1 = x + w``, ``y1 = y + h``: the
  community line for image 1 (``60.0 27.0 325.0 304.0`` in the release) is
  ``...0046_18.jpg,60,27,385,331`` and for image 3 (``14.0 112.0 388.0
  186.0``) ``...0002_55.jpg,14,112,402,298``: no ``-1``, no clipping. The
  release stores whole numbers as floats; each of ``x``, ``y``, ``x + w``,
  ``y + h`` is converted with ``int()`` (truncation), which leaves whole
  numbers unchanged. When image sizes are read, a box must satisfy
  ``0 <= x0 <= x1 <= w`` and ``0 <= y0 <= y1 <= h`` (``x1 == w`` can occur
  with the ``x + w`` convention) or the conversion stops with the
  ``bounding_boxes.txt`` line; ``--clip-boxes`` clips to ``w``/``h``
  instead.
* ``image_sizes.txt`` is ``path,w,h`` read from each image header (PIL when
  installed, else OpenCV). ``--no-sizes`` writes it empty (the images are
  then not needed).
* **val is not the community one.** wsolevaluation's CUB ``val``
  (train-fullsup) is a separately collected set of 5 images per class
  ("CUBV2", downloaded from their release). We cannot download it, so with
  ``--val-per-class N`` we carve N images per class out of the official train
  split, deterministically: the class's train images sorted by id, the
  middle image of each of N equal chunks (indices ``(2i + 1) * n // (2N)``).
  They are removed from ``train`` unless ``--keep-val-in-train``. Numbers on
  this val are therefore not comparable with numbers on the community val.
* With ``--segmentations DIR`` (the CUB segmentation release,
  ``DIR/<relpath with .png>``), val and test get ``localization_mask.txt``
  lines ``path,mask,ignore``: the grey-level segmentation is binarised as
  ``value > --mask-threshold`` (default 127) into a 0/255 PNG, and the pixels
  with ``0 < value <= threshold`` (annotator disagreement, soft edges) go to
  the ignore PNG. Both are written under ``--mask-out`` (default
  ``OUT/masks``) as ``<relpath stem>_mask.png`` and ``<relpath
  stem>_ignore.png``, and listed relative to it.

Malformed input stops the conversion with ``file, line N: reason``.
"""

import argparse
import os.path as osp
import sys
from typing import List, Optional

# the helper modules next to this file (the tool runs as a script, and the
# tests load it by its path)
_HERE = osp.dirname(osp.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from cub_metadata import (  # noqa: E402
    carve_val,
    check_box,
    convert_cub,
    read_image_size,
    segmentation_to_masks,
)
from cub_release import (  # noqa: E402
    CUB_FILES,
    CUBFormatError,
    CUBRecord,
    cub_box_to_xyxy,
    read_class_names,
    read_cub_records,
    read_id_table,
)

__all__ = [
    'CUB_FILES',
    'CUBFormatError',
    'CUBRecord',
    'carve_val',
    'check_box',
    'convert_cub',
    'cub_box_to_xyxy',
    'main',
    'parse_args',
    'read_class_names',
    'read_cub_records',
    'read_id_table',
    'read_image_size',
    'segmentation_to_masks',
]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Convert CUB-200-2011 to wsolevaluation metadata.'
    )
    parser.add_argument(
        '--cub-root',
        required=True,
        help='the CUB_200_2011 folder of the release',
    )
    parser.add_argument(
        '--out',
        required=True,
        help='metadata output folder, e.g. metadata/CUB',
    )
    parser.add_argument(
        '--segmentations',
        default=None,
        help='CUB segmentations folder (masks for val/test)',
    )
    parser.add_argument(
        '--mask-out',
        default=None,
        help='where binarised masks go (default: OUT/masks)',
    )
    parser.add_argument(
        '--mask-threshold',
        type=int,
        default=127,
        help='segmentation foreground is value > this',
    )
    parser.add_argument(
        '--val-per-class',
        type=int,
        default=0,
        help='val images carved per class from train '
        '(default: 0, no val split)',
    )
    parser.add_argument(
        '--keep-val-in-train',
        action='store_true',
        help='keep the carved val images in train too',
    )
    parser.add_argument(
        '--no-sizes',
        action='store_true',
        help='do not read the images; image_sizes.txt empty',
    )
    parser.add_argument(
        '--clip-boxes',
        action='store_true',
        help='clip boxes leaving the image instead of failing',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the converter.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: Exit status.
    """
    args = parse_args(argv)
    try:
        counts = convert_cub(
            args.cub_root,
            args.out,
            segmentations=args.segmentations,
            val_per_class=args.val_per_class,
            read_sizes=not args.no_sizes,
            mask_out=args.mask_out,
            mask_threshold=args.mask_threshold,
            keep_val_in_train=args.keep_val_in_train,
            clip_boxes=args.clip_boxes,
        )
    except (OSError, ValueError) as err:
        print(f'cub: error: {err}', file=sys.stderr)
        return 1
    summary = ', '.join(f'{split} {n}' for split, n in counts.items())
    print(f'Wrote CUB metadata ({summary} images) to {args.out}.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
