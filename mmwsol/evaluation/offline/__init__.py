"""Offline evaluation of saved score maps against WSOL metadata.

Score maps made by any code base are evaluated with the same metrics as
``tools/test.py`` (:class:`~mmwsol.evaluation.WSOLMetric` and
:class:`~mmwsol.evaluation.WSOLMaskMetric`): this package only turns a
metadata folder plus a folder of ``.npy`` maps into the per-sample dicts the
metrics' ``process`` expects, the way the test pipeline does online.
Modules: ``scoremaps`` (the map files: paths, loading, checks, resizing),
``annotations`` (the split's GT: metadata, sizes, masks, sample dicts),
``evaluate`` (metrics and the whole evaluation).

Layout of the maps (the one of wsolevaluation's ``evaluate_wsol``): one
``.npy`` file per image, at ``<scoremap_dir>/<image_id>.npy`` where
``image_id`` is the line of ``image_ids.txt`` (``a/b.jpg`` ->
``a/b.jpg.npy``). Each file holds a 2-D float map in ``[0, 1]``.

Protocol details:

- Maps of the evaluation size (224 x 224 in the protocol) are used as they
  are, like wsolevaluation's ``evaluate_wsol`` does (it never resizes a
  saved map and compares it with boxes rescaled to 224 x 224). Maps of
  another size are treated like raw CAMs: resized with OpenCV
  ``INTER_CUBIC`` (what wsolevaluation's ``CAMComputer`` does to the
  network's map before saving it, and mmwsol's localizers with torch
  ``bicubic``), then min-max normalised (a constant map becomes all zeros).
  Because the cubic resize is linear, this gives exactly the community's
  224 x 224 map for a low-resolution map that was min-max normalised before
  it was saved. ``resize_norm='clip'`` clips the cubic overshoot to
  ``[0, 1]`` instead.
- Strict checks, as wsolevaluation's ``check_scoremap_validity``: a map
  must be 2-D, free of NaN and in ``[0, 1]`` (the online metrics read NaN
  as 0 instead, since a model's NaN map is a valid empty prediction).
- GT boxes are rescaled by the metric from the original image size (from
  ``image_sizes.txt``, else read from the images) with ``int(x * W / w)``;
  they are first clipped to the image like ``LoadWSOLAnnotations`` does.
- GT masks are combined at the original size (instances OR-ed, ignore =
  ignore & ~foreground, :func:`~mmwsol.datasets.transforms.build_seg_map`)
  and resized to the map size with nearest neighbour, as MMCV's ``Resize``
  does in the test pipeline (equal to resizing each mask and taking
  ``> 0.5``).
"""

from .annotations import (
    DEFAULT_MASK_FILE,
    fill_image_sizes,
    load_gt_mask,
    load_split_infos,
    make_offline_sample,
    read_image_size,
    resolve_mask_file,
    select_targets,
)
from .evaluate import (
    build_offline_metrics,
    evaluate_samples,
    evaluate_scoremaps,
)
from .scoremaps import (
    PROTOCOL_MAP_SIZE,
    RESIZE_NORMS,
    SCOREMAP_SUFFIX,
    check_scoremap_files,
    list_scoremap_ids,
    load_scoremap,
    resize_scoremap,
    scoremap_path,
)

__all__ = [
    'DEFAULT_MASK_FILE',
    'PROTOCOL_MAP_SIZE',
    'RESIZE_NORMS',
    'SCOREMAP_SUFFIX',
    'build_offline_metrics',
    'check_scoremap_files',
    'evaluate_samples',
    'evaluate_scoremaps',
    'fill_image_sizes',
    'list_scoremap_ids',
    'load_gt_mask',
    'load_scoremap',
    'load_split_infos',
    'make_offline_sample',
    'read_image_size',
    'resize_scoremap',
    'resolve_mask_file',
    'scoremap_path',
    'select_targets',
]
