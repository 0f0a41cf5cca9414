"""Speed of the WSOL box metric: exact fast path vs per-threshold loops.

For 224 x 224 score maps of two kinds -- ``smooth`` (a 14 x 14 uniform
random map upsampled bicubically, min-max normalised, like a CAM) and
``noisy`` (the same plus Gaussian noise, clipped and normalised again) --
it times, per image, the box correctness over the CAM thresholds
``np.arange(0, 1, interval)`` (IoU 30/50/70):

- ``fast``: :func:`mmwsol.evaluation.functional.box_correctness` as
  installed (in box modes ``'all'`` and ``'largest'`` the compiled sweep,
  a union-find over the pixels in value order, when it was built; in mode
  ``'union'`` the row and column maxima of the map);
- ``no C``: what ``backend='auto'`` does without the compiled sweeps
  (a machine without a C compiler): OpenCV once per distinct level;
- ``loop``: the literal per-threshold loop of the protocol's words, as the
  test reference does it: for every threshold, the uint8 map, the level
  ``int(t * max)``, ``cv2.findContours`` of ``u8 > level``, a bounding rect
  per contour and the best IoU (no deduplication of equal levels);
- ``cv loop``: the loop of the community evaluator (wsolevaluation): the
  uint8 map once, then per threshold ``cv2.threshold`` + ``cv2.findContours``
  and bounding rects, the IoUs vectorised per image;

checks that all three give identical correctness tables and prints the
ratios. It also times PxAP's per-image histograms
(:func:`mmwsol.evaluation.functional.mask_score_histograms`) with the GT box
as the mask. Times are wall-clock milliseconds per image, all measured in
one run, each method looping over all images in turn.

Example::

    python tools/benchmarks/metric_speed.py --num-images 50
"""

import argparse
import time
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmwsol.evaluation.functional import (
    box_correctness,
    cam_thresholds,
    mask_score_histograms,
    pixel_histogram_edges,
    resolve_box_backend,
)
from mmwsol.evaluation.functional.level_sets import has_compiled_sweep

IOU_THRESHOLDS = (30, 50, 70)


def parse_args(args: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Time the exact fast path of the WSOL box metric '
        'against per-threshold contour loops, and PxAP histograms.'
    )
    parser.add_argument(
        '--num-images',
        type=int,
        default=50,
        help='maps per kind (default: 50)',
    )
    parser.add_argument(
        '--size', type=int, default=224, help='map side (default: 224)'
    )
    parser.add_argument(
        '--noise',
        type=float,
        default=0.02,
        help='std of the Gaussian noise of the noisy maps, '
        'relative to the map range (default: 0.02)',
    )
    parser.add_argument(
        '--intervals',
        type=float,
        nargs='+',
        default=[0.01, 0.001],
        help='CAM threshold intervals (default: 0.01 0.001)',
    )
    parser.add_argument(
        '--box-modes',
        nargs='+',
        default=['all'],
        choices=['all', 'largest', 'union'],
        help="box modes to time (default: 'all', MaxBoxAccV2)",
    )
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(args)


# ------------------------------------------------------------------ data
def normalise(x: np.ndarray) -> np.ndarray:
    """Min-max normalisation to [0, 1]."""
    x = x - x.min()
    return x / x.max() if x.max() > 0 else x


def make_maps(
    rng: np.random.Generator, num: int, size: int, noise: float
) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """Smooth and noisy score maps (float64, values in [0, 1])."""
    smooth, noisy = [], []
    for _ in range(num):
        low = rng.random((14, 14)).astype(np.float32)
        big = cv2.resize(
            low, (size, size), interpolation=cv2.INTER_CUBIC
        ).astype(np.float64)
        smooth.append(normalise(big))
        noisy.append(
            normalise(
                np.clip(big + noise * rng.standard_normal(big.shape), 0, None)
            )
        )
    return smooth, noisy


def make_gt_boxes(
    rng: np.random.Generator, num: int, size: int
) -> List[np.ndarray]:
    """One or two GT boxes per image, 20 % to 90 % of the side."""
    boxes = []
    for _ in range(num):
        per_image = []
        for _ in range(int(rng.integers(1, 3))):
            w, h = (rng.uniform(0.2, 0.9, 2) * size).astype(int)
            x0 = int(rng.integers(0, size - w))
            y0 = int(rng.integers(0, size - h))
            per_image.append([x0, y0, x0 + w, y0 + h])
        boxes.append(np.array(per_image))
    return boxes


# ------------------------------------------------------------ baselines
def _rect_boxes(
    contours: Sequence[np.ndarray], mode: str, width: int, height: int
) -> np.ndarray:
    """Boxes of OpenCV contours, ``[x, y, x + w, y + h]`` clipped."""
    if len(contours) == 0:
        return np.zeros((1, 4), dtype=np.int64)
    if mode == 'largest':
        contours = [max(contours, key=cv2.contourArea)]
    elif mode == 'union':
        contours = [np.concatenate(contours)]
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        boxes.append([x, y, min(x + w, width - 1), min(y + h, height - 1)])
    return np.array(boxes, dtype=np.int64)


def _iou(box: Sequence[int], gt: Sequence[int]) -> float:
    """IoU with the inclusive +1 pixel convention."""
    iw = min(box[2], gt[2]) - max(box[0], gt[0]) + 1
    ih = min(box[3], gt[3]) - max(box[1], gt[1]) + 1
    inter = max(0, iw) * max(0, ih)
    union = (
        (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
        + (gt[2] - gt[0] + 1) * (gt[3] - gt[1] + 1)
        - inter
    )
    return inter / union if union > 0 else 0.0


def literal_loop(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: np.ndarray,
    mode: str,
) -> np.ndarray:
    """The protocol threshold by threshold, no shortcut at all."""
    height, width = scoremap.shape
    fractions = np.asarray(IOU_THRESHOLDS) / 100
    table = np.zeros((len(fractions), len(thresholds)), dtype=bool)
    for j, threshold in enumerate(thresholds):
        u8 = (scoremap * 255).astype(np.uint8)
        level = int(threshold * int(u8.max()))
        foreground = np.where(u8 > level, 255, 0).astype(np.uint8)
        contours = cv2.findContours(
            foreground, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE
        )[-2]
        boxes = _rect_boxes(contours, mode, width, height)
        best = max(_iou(b, g) for b in boxes.tolist() for g in gt_boxes)
        table[:, j] = best >= fractions
    return table


def cv_loop(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: np.ndarray,
    mode: str,
) -> np.ndarray:
    """The community evaluator's loop: cv2.threshold per threshold."""
    height, width = scoremap.shape
    u8 = (scoremap * 255).astype(np.uint8)
    peak = int(u8.max())
    all_boxes, owner = [], []
    for j, threshold in enumerate(thresholds):
        _, foreground = cv2.threshold(
            u8, int(threshold * peak), 255, cv2.THRESH_BINARY
        )
        contours = cv2.findContours(
            foreground, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE
        )[-2]
        boxes = _rect_boxes(contours, mode, width, height)
        all_boxes.append(boxes)
        owner.append(np.full(len(boxes), j))
    boxes, owner = np.concatenate(all_boxes), np.concatenate(owner)
    b, g = boxes[:, None, :], gt_boxes[None, :, :]
    iw = (
        np.minimum(b[..., 2], g[..., 2]) - np.maximum(b[..., 0], g[..., 0]) + 1
    )
    ih = (
        np.minimum(b[..., 3], g[..., 3]) - np.maximum(b[..., 1], g[..., 1]) + 1
    )
    inter = np.maximum(iw, 0) * np.maximum(ih, 0)
    union = (
        (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
        + (g[..., 2] - g[..., 0] + 1) * (g[..., 3] - g[..., 1] + 1)
        - inter
    )
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0).max(axis=1)
    best = np.full(len(thresholds), -1.0)
    np.maximum.at(best, owner, iou)
    return best[None, :] >= (np.asarray(IOU_THRESHOLDS) / 100)[:, None]


def without_compiled(
    scoremap: np.ndarray,
    gt_boxes: np.ndarray,
    thresholds: np.ndarray,
    iou_thresholds: Sequence[float],
    mode: str,
) -> np.ndarray:
    """``box_correctness`` as ``'auto'`` runs it without the C sweeps."""
    backend = resolve_box_backend('auto', mode, compiled=False)
    return box_correctness(
        scoremap, gt_boxes, thresholds, iou_thresholds, mode, backend
    )


# --------------------------------------------------------------- timing
def timed(
    function: Callable, maps: Sequence[np.ndarray], *args
) -> Tuple[float, List]:
    """Run ``function(map, *per_image_args)`` over all maps; ms / image."""
    results = []
    start = time.perf_counter()
    for i, scoremap in enumerate(maps):
        results.append(function(scoremap, *(a[i] for a in args)))
    return (time.perf_counter() - start) * 1000 / len(maps), results


def main(args: Optional[List[str]] = None) -> None:
    """Run the benchmark and print the table."""
    opts = parse_args(args)
    rng = np.random.default_rng(opts.seed)
    smooth, noisy = make_maps(rng, opts.num_images, opts.size, opts.noise)
    gts = make_gt_boxes(rng, opts.num_images, opts.size)
    masks = []
    for boxes in gts:
        mask = np.zeros((opts.size, opts.size), dtype=np.uint8)
        for x0, y0, x1, y1 in boxes:
            mask[y0 : y1 + 1, x0 : x1 + 1] = 1
        masks.append(mask)

    print(
        f'{opts.num_images} maps per kind, {opts.size} x {opts.size}, '
        f'noise std {opts.noise}, IoU {IOU_THRESHOLDS}; ms per image; '
        f'compiled sweep installed: {has_compiled_sweep()}'
    )
    header = (
        f'{"kind":7} {"mode":8} {"interval":>8} {"fast":>7} '
        f'{"no C":>7} {"loop":>8} {"ratio":>6} {"cv loop":>8} '
        f'{"ratio":>6} {"identical":>9} {"PxAP":>6}'
    )
    print(header)
    print('-' * len(header))
    for kind, maps in (('smooth', smooth), ('noisy', noisy)):
        for mode in opts.box_modes:
            for interval in opts.intervals:
                thresholds = cam_thresholds(interval)
                per_image = [thresholds] * len(maps)
                modes = [mode] * len(maps)
                iou = [IOU_THRESHOLDS] * len(maps)
                fast_ms, fast = timed(
                    box_correctness, maps, gts, per_image, iou, modes
                )
                numpy_ms, numpy_fast = timed(
                    without_compiled, maps, gts, per_image, iou, modes
                )
                loop_ms, loop = timed(
                    literal_loop, maps, gts, per_image, modes
                )
                cv_ms, cv = timed(cv_loop, maps, gts, per_image, modes)
                identical = all(
                    np.array_equal(a, b)
                    and np.array_equal(a, c)
                    and np.array_equal(a, d)
                    for a, b, c, d in zip(fast, loop, cv, numpy_fast)
                )
                edges = [pixel_histogram_edges(thresholds)] * len(maps)
                pxap_ms, _ = timed(mask_score_histograms, maps, masks, edges)
                print(
                    f'{kind:7} {mode:8} {interval:>8g} {fast_ms:7.2f} '
                    f'{numpy_ms:7.2f} {loop_ms:8.2f} '
                    f'{loop_ms / fast_ms:5.1f}x {cv_ms:8.2f} '
                    f'{cv_ms / fast_ms:5.1f}x {str(identical):>9} '
                    f'{pxap_ms:6.2f}'
                )
                if not identical:
                    raise SystemExit('the fast path differs from the loops')


if __name__ == '__main__':
    main()
