"""COCO-format export of localization results (pseudo-labels).

Two formats, both with boxes in **original image pixels**:

- :func:`results_to_coco`: a COCO *dataset* dict (``images``,
  ``categories``, ``annotations`` with ``bbox = [x, y, w, h]``, ``area``,
  ``iscrowd = 0``, ``category_id``, plus the detection ``score``). It loads
  with ``pycocotools.coco.COCO`` and MMDetection's ``CocoDataset``
  (``metainfo=dict(classes=...)`` in the order of ``categories``), so it can
  train a detector as pseudo-labels.
- :func:`results_to_coco_detections`: the COCO *results* list
  (``image_id``, ``category_id``, ``bbox``, ``score``) that
  ``COCO.loadRes`` and ``COCOeval`` take, to evaluate the boxes against a GT
  file with the same image ids.

Ids: image ``i`` of the list has ``id = i + 1``; class ``c`` has
``category_id = c + 1`` (COCO ids start at 1); annotation ids run from 1.

Box conversion: a result box ``[x0, y0, x1, y1]`` follows the WSOL
evaluator (``x1 = x + w`` of the contour's bounding rectangle, clipped to
``W - 1``), so ``bbox = [x0, y0, x1 - x0, y1 - y0]``, except that a box
ending on the last column (row) is taken to reach the image edge ``W``
(``H``), the extent of the contour before clipping. Boxes of zero area are
left out.
"""

from typing import List, Optional, Sequence

import numpy as np


def coco_bbox(box: Sequence[float], width: int, height: int) -> List[float]:
    """One result box ``[x0, y0, x1, y1]`` as a COCO ``[x, y, w, h]``.

    Args:
        box (Sequence[float]): Box in the evaluator's convention.
        width (int): Image width ``W``.
        height (int): Image height ``H``.

    Returns:
        list[float]: ``[x, y, w, h]`` inside ``[0, W] x [0, H]``.
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    right = float(width) if x1 >= width - 1 else x1
    bottom = float(height) if y1 >= height - 1 else y1
    x0, y0 = max(0.0, x0), max(0.0, y0)
    return [x0, y0, max(0.0, right - x0), max(0.0, bottom - y0)]


def _iter_boxes(result):
    h, w = result.ori_shape
    for rank, (label, score, boxes) in enumerate(
        zip(result.labels, result.label_scores, result.boxes)
    ):
        for box in np.asarray(boxes).reshape(-1, 4):
            bbox = coco_bbox(box, w, h)
            if bbox[2] <= 0 or bbox[3] <= 0:
                continue
            yield rank, int(label), float(score), bbox


def results_to_coco(
    results: Sequence,
    file_names: Sequence[str],
    class_names: Optional[Sequence[str]] = None,
    info: Optional[dict] = None,
) -> dict:
    """A COCO dataset dict of the boxes of localization results.

    Args:
        results (Sequence[LocalizationResult]): Results of
            :class:`~mmwsol.apis.WSOLInferencer`.
        file_names (Sequence[str]): ``file_name`` of each image (e.g. its
            path relative to the image root of the detector's dataset).
        class_names (Sequence[str], optional): Names of all classes, in
            label order. Defaults to ``str(label)`` up to the largest label.
        info (dict, optional): COCO ``info`` (settings, failures...).

    Returns:
        dict: ``info``, ``images``, ``categories``, ``annotations``. Each
        annotation also has ``score`` (the class's softmax score) and
        ``rank`` (0 for the top-1 class's map, 1 for the second...).
    """
    if len(results) != len(file_names):
        raise ValueError(
            f'{len(results)} results but {len(file_names)} file names'
        )
    if class_names is None:
        num = max([max(r.labels, default=-1) for r in results], default=-1)
        class_names = [str(c) for c in range(num + 1)]
    images, annotations = [], []
    for i, (result, name) in enumerate(zip(results, file_names)):
        h, w = result.ori_shape
        images.append(
            dict(id=i + 1, file_name=str(name), width=int(w), height=int(h))
        )
        for rank, label, score, bbox in _iter_boxes(result):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=i + 1,
                    category_id=label + 1,
                    bbox=bbox,
                    area=bbox[2] * bbox[3],
                    iscrowd=0,
                    score=score,
                    rank=rank,
                )
            )
    categories = [
        dict(id=c + 1, name=str(name), supercategory='object')
        for c, name in enumerate(class_names)
    ]
    return dict(
        info=dict(info or {}),
        images=images,
        categories=categories,
        annotations=annotations,
    )


def results_to_coco_detections(results: Sequence) -> List[dict]:
    """The COCO results list (``COCO.loadRes`` format) of the boxes.

    Image ``i`` of ``results`` has ``image_id = i + 1`` and class ``c``
    ``category_id = c + 1``, as in :func:`results_to_coco`.

    Args:
        results (Sequence[LocalizationResult]): Localization results.

    Returns:
        list[dict]: ``image_id``, ``category_id``, ``bbox``, ``score``.
    """
    return [
        dict(image_id=i + 1, category_id=label + 1, bbox=bbox, score=score)
        for i, result in enumerate(results)
        for _, label, score, bbox in _iter_boxes(result)
    ]
