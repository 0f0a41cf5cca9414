"""Box-based WSOL metric: classification, GT-known / Top-k Loc, MaxBoxAcc."""

from numbers import Number
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric

from mmwsol.registry import METRICS

from ..box_rule import BoxRule
from ..functional import (
    BOX_MODES,
    box_curves_record,
    cam_thresholds,
    error_rates,
)
from .box_entries import (
    entry_rows,
    localization_entry,
    read_entries,
    warn_off_map,
)
from .curves_file import write_curves_part
from .sample_inputs import (
    check_pipeline_geometry,
    check_sample_geometry,
    gt_boxes_on_map,
    read_class_rank,
    read_gt_cam,
    read_ori_boxes,
    sample_name,
    short_name,
    to_numpy,
    warn_invalid_maps,
)
from .wsol_summary import summarize

#: Name of the main number of each box mode.
MAIN_KEYS = {
    'all': 'MaxBoxAccV2',
    'largest': 'MaxBoxAcc',
    'union': 'MaxBoxAccUnion',
}
#: Default IoU thresholds of each box mode: MaxBoxAccV2 averages (30, 50,
#: 70); the original MaxBoxAcc (V1) is the IoU-50 number.
DEFAULT_IOU_THRESHOLDS = {
    'all': (30, 50, 70),
    'largest': (50,),
    'union': (30, 50, 70),
}
#: Metric keys of SPA's error cases.
ERROR_KEYS = {
    'cls': 'err_cls',
    'multi_instance': 'err_multi_instance',
    'part': 'err_part',
    'more': 'err_more',
    'other': 'err_other',
}


@METRICS.register_module()
class WSOLMetric(BaseMetric):
    """Weakly supervised object localization metric on boxes.

    It follows the box protocol of the community evaluator
    `wsolevaluation <https://github.com/clovaai/wsolevaluation>`_
    (Choe et al., "Evaluating Weakly Supervised Object Localization Methods
    Right", CVPR 2020), see :mod:`mmwsol.evaluation.functional`: the map of
    the GT class is binarised at each CAM threshold ``t`` in
    ``np.arange(0, 1, cam_curve_interval)``, boxes are drawn around the
    contours of the foreground and an image counts as localised at IoU
    threshold ``δ`` if the best IoU between any of its boxes and any GT box
    (rescaled to the map with ``int(x * W / w)``, see "Geometry" below) is
    ``>= δ / 100``. The
    boxes of all thresholds come from an exact fast path (equal to tracing
    OpenCV contours threshold by threshold), so ``cam_curve_interval=0.001``
    is practical.

    All numbers are percentages over the evaluated images. With ``main`` the
    main key (``'MaxBoxAccV2'`` when ``box_mode='all'``, ``'MaxBoxAcc'``
    when ``box_mode='largest'``, ``'MaxBoxAccUnion'`` when
    ``box_mode='union'``) the result holds:

    - ``top{k}_cls`` (for each ``k`` in ``topk`` with ``k <= K`` classes):
      Top-k classification accuracy ("Top-1 Cls", "Top-5 Cls").
    - ``gt_known_loc``: "GT-known Loc" by the fixed-threshold rule
      ``box_rule`` (default: 0.2 x max, the box of the largest connected
      region, as the papers): the GT-class map's box reaches IoU
      ``loc_iou_threshold`` (50).
    - ``top{k}_loc``: "Top-1 Loc" / "Top-5 Loc" at the fixed threshold: the
      GT class is among the top-k predictions *and* the GT-known box is
      correct.
    - ``{main}``: "MaxBoxAccV2" (or "MaxBoxAcc"), the mean over the IoU
      thresholds ``iou_thresholds`` of the best accuracy over CAM thresholds,
      each IoU threshold picking its own CAM threshold.
    - ``{main}@{δ}``: that best accuracy for one IoU threshold δ
      (``MaxBoxAcc@50`` is the original MaxBoxAcc of the paper when
      ``box_mode='largest'``).
    - ``best_thr@{δ}``: the CAM threshold reaching ``{main}@{δ}`` (the
      smallest one on ties).
    - ``gt_known_loc_best``: GT-known Loc (box rule ``box_rule.box_mode``)
      at the CAM threshold that is best for it at IoU ``loc_iou_threshold``
      (equal to ``{main}@50`` only when ``box_rule.box_mode == box_mode``).
    - ``top{k}_loc_best``: Top-k Loc at that same CAM threshold.
    - ``invalid_maps``: the number of invalid maps (see below).
    - with ``error_analysis=True``, SPA's error cases (Pan et al., CVPR
      2021, appendix, Algorithm 1) at the fixed threshold, see
      :mod:`~mmwsol.evaluation.functional.error_analysis`: ``err_cls``
      (top-1 class wrong), then among the correctly classified images
      ``err_multi_instance`` (M-Ins), ``err_part`` (Part), ``err_more``
      (More) and ``err_other`` (OT).

    Each sample (a dict, as MMEngine passes data samples to metrics) needs:

    - ``gt_cam``: the localization map of the GT class, shape (H, W), values
      in ``[0, 1]`` (network input size, e.g. 224 x 224). A map holding a
      NaN / inf value, or flagged ``gt_cam_valid=False`` by the model (its
      raw map held one before normalisation), is invalid: it is evaluated
      as an empty prediction (all zeros), counted in ``invalid_maps`` and
      named in a warning (the first five).
    - ``ori_gt_bboxes``: GT boxes ``[x0, y0, x1, y1]`` in original image
      coordinates, shape (N, 4), N >= 1.
    - ``ori_shape``: ``(h, w)`` of the original image.
    - ``pred_score``: class scores of shape (K, ), and then ``gt_label``:
      the GT class, shape (1, ) or a scalar. Both are optional: without
      ``pred_score`` (maps from another codebase evaluated offline) only the
      localization numbers are reported (``gt_known_loc``, ``{main}``,
      ``{main}@{δ}``, ``best_thr@{δ}``, ``gt_known_loc_best``, and the error
      cases other than ``err_cls``); all samples of an evaluation must then
      lack it.
    - ``wsol_geometry`` (optional, packed by ``PackWSOLInputs``): where the
      test pipeline put the original pixels.

    Geometry: without a geometry record, or when the pipeline only resized
    the whole image (the community protocol), GT boxes are rescaled from
    the original ones with ``int(x * W / w)``. Otherwise (e.g.
    ``ResizeEdge`` + ``CenterCrop``) each coordinate becomes
    ``floor(s * x + o)`` with the recorded scale and offset, boxes are
    clipped to the map and dropped when no pixel of them is on it; an image
    whose GT boxes are all off the map counts as not localized (with a
    warning). A dataset whose pipeline holds a transform that moves pixels
    without a record (``wsol_untracked_transforms`` in its metainfo) is
    refused with an error naming the transform.

    Only a compact entry is kept per sample (the rank of the GT class, the
    packed correctness bits, the fixed-threshold result and the error case,
    see :mod:`~mmwsol.evaluation.metrics.box_entries`), never the map, so
    distributed evaluation gives exactly the single-process result.

    Args:
        iou_thresholds (Sequence[float], optional): IoU thresholds δ in
            percent of MaxBoxAcc. Defaults to None: the community's choice
            for the box mode, (30, 50, 70) for MaxBoxAccV2 (``'all'``, and
            ``'union'``) and (50, ) for MaxBoxAcc (``'largest'``, V1), so
            that the main key means what the literature means by it.
        cam_curve_interval (float): Step of the CAM thresholds. Defaults to
            0.01 (wsolevaluation's default at validation; its final test
            uses 0.001).
        box_mode (str): ``'all'`` keeps a box per contour, holes included
            (MaxBoxAccV2); ``'largest'`` keeps the contour of largest area
            (MaxBoxAcc, V1); ``'union'`` keeps one box around the whole
            foreground. The rule of the threshold sweep (MaxBoxAcc).
            Defaults to 'all'.
        box_rule (BoxRule | dict, optional): The fixed-threshold rule of
            ``gt_known_loc`` and ``top{k}_loc`` (threshold θ, its standard,
            the percentile, and the box rule ``box_mode`` that also serves
            their ``_best`` forms and the error analysis), see
            :class:`~mmwsol.evaluation.BoxRule`. Defaults to None: the
            rule's defaults (0.2 x max, the box of the largest connected
            region). ``tools/train.py`` / ``tools/test.py`` pass the
            config's top-level ``box_rule`` here.
        topk (int | Sequence[int]): The k of ``top{k}_cls`` and
            ``top{k}_loc``. Defaults to (1, 5).
        loc_iou_threshold (float): IoU threshold in percent of GT-known and
            Top-k Loc, and the "correct" test of the error analysis (there
            ``IoU > δ / 100``, strictly, as in SPA's Algorithm 1). Defaults
            to 50.
        error_analysis (bool): Add SPA's error cases. Defaults to False.
        curves_file (str, optional): When given, :meth:`compute_metrics`
            writes the accuracy-vs-threshold curves there as JSON (see
            :func:`~mmwsol.evaluation.functional.box_curves_record`:
            ``thresholds``, ``iou_thresholds``, ``accuracy`` in percent per
            IoU threshold and CAM threshold, ``max_accuracy``,
            ``best_threshold``, ``box_mode``, ``interval``, ``num_images``).
            Each evaluation overwrites it; a :class:`WSOLMaskMetric` of
            the same run may share the file, which then holds both as
            ``{"box": ..., "mask": ...}`` (see
            :mod:`~mmwsol.evaluation.metrics.curves_file`). Defaults to
            None.
        collect_device (str): Device used to collect results from the ranks,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None,
            which uses ``default_prefix`` ('wsol').

    Examples:
        >>> import torch
        >>> from mmwsol.evaluation import WSOLMetric
        >>> cam = torch.zeros(224, 224)
        >>> cam[50:150, 60:160] = 1
        >>> sample = dict(pred_score=torch.tensor([0.7, 0.2, 0.1]),
        ...               gt_label=torch.tensor([0]), gt_cam=cam,
        ...               ori_gt_bboxes=torch.tensor([[60., 50., 160., 150.]]),
        ...               ori_shape=(224, 224))
        >>> metric = WSOLMetric()
        >>> metric.process(None, [sample])
        >>> metric.evaluate(1)['wsol/MaxBoxAccV2']
        100.0
    """

    default_prefix: Optional[str] = 'wsol'

    def __init__(
        self,
        iou_thresholds: Optional[Sequence[float]] = None,
        cam_curve_interval: float = 0.01,
        box_mode: str = 'all',
        box_rule: Union[BoxRule, dict, None] = None,
        topk: Union[int, Sequence[int]] = (1, 5),
        loc_iou_threshold: float = 50,
        error_analysis: bool = False,
        curves_file: Optional[str] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if box_mode not in BOX_MODES:
            raise ValueError(
                f'Unknown box_mode {box_mode!r}, choose from {BOX_MODES}.'
            )
        self.box_rule = BoxRule.from_cfg(box_rule)
        loc_box_mode = self.box_rule.box_mode
        self.loc_box_mode = loc_box_mode  # the rule's, kept for reading
        if iou_thresholds is None:
            iou_thresholds = DEFAULT_IOU_THRESHOLDS[box_mode]
        if isinstance(iou_thresholds, Number):
            iou_thresholds = (iou_thresholds,)
        self.iou_thresholds = tuple(iou_thresholds)
        if not self.iou_thresholds:
            raise ValueError('At least one IoU threshold is needed.')
        for iou in self.iou_thresholds + (loc_iou_threshold,):
            if not 0 <= iou <= 100 or 0 < iou < 1:
                raise ValueError(
                    'IoU thresholds are percentages in '
                    f'[0, 100] (50, not 0.5), got {iou}.'
                )
        self.loc_iou_threshold = loc_iou_threshold
        self.cam_curve_interval = cam_curve_interval
        self.thresholds = cam_thresholds(cam_curve_interval)
        self.box_mode = box_mode
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if any(k < 1 for k in self.topk):
            raise ValueError(f'topk must be positive, got {self.topk}.')
        self.error_analysis = bool(error_analysis)
        self.curves_file = curves_file
        self.main_key = MAIN_KEYS[box_mode]
        # The IoU rows stored per sample (see box_entries.entry_rows).
        self._iou_rows, self._loc_row = entry_rows(
            self.iou_thresholds, loc_iou_threshold, loc_box_mode == box_mode
        )

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Turn a batch of samples into compact per-sample entries.

        Args:
            data_batch (Any): The data batch (unused).
            data_samples (Sequence[dict]): The predicted samples, see the
                class docstring for the keys.
        """
        check_pipeline_geometry(self.dataset_meta, 'WSOLMetric')
        for sample in data_samples:
            entry = self._process_sample(sample)
            if self.results and (self.results[0]['gt_rank'] is None) != (
                entry['gt_rank'] is None
            ):
                raise ValueError(
                    f'{sample_name(sample)} '
                    f'{"lacks" if entry["gt_rank"] is None else "has"} '
                    "'pred_score' unlike the samples before it; WSOLMetric "
                    'evaluates either all samples with class scores or all '
                    'without (localization only).'
                )
            self.results.append(entry)

    def _process_sample(self, sample: dict) -> dict:
        name = sample_name(sample)
        for key in ('gt_cam', 'ori_gt_bboxes', 'ori_shape'):
            if sample.get(key) is None:
                raise ValueError(
                    f'{name} has no {key!r}; WSOLMetric needs gt_cam, '
                    'ori_gt_bboxes and ori_shape (pack the original GT boxes '
                    'and the original shape into the data sample), and '
                    'pred_score with gt_label for the classification '
                    'numbers.'
                )
        rank, num_classes = read_class_rank(sample, name)
        cam, valid = read_gt_cam(sample, name)
        geometry = check_sample_geometry(sample, name, cam.shape)
        ori_shape = tuple(int(v) for v in to_numpy(sample['ori_shape'])[:2])
        gt_boxes = gt_boxes_on_map(
            read_ori_boxes(sample, name), ori_shape, cam.shape, geometry
        )
        entry = dict(
            gt_rank=rank,
            num_classes=num_classes,
            invalid_map=None if valid else short_name(sample),
            gt_off_map=None if len(gt_boxes) else short_name(sample),
        )
        try:
            entry.update(
                localization_entry(
                    cam,
                    gt_boxes,
                    self.thresholds,
                    self._iou_rows,
                    self._loc_row,
                    self.box_mode,
                    self.box_rule,
                    self.loc_iou_threshold,
                    self.error_analysis,
                )
            )
        except ValueError as error:
            raise ValueError(f'{name}: {error}') from error
        return entry

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics from the per-sample entries.

        On the main process only (MMEngine calls it there), it also writes
        ``curves_file`` when one is set, and warns about invalid maps and
        images whose GT boxes all lie off the map.

        Args:
            results (list[dict]): The entries of :meth:`process`, gathered
                from all ranks.

        Returns:
            dict[str, float]: The metrics, see the class docstring.
        """
        arrays = read_entries(results, len(self.thresholds), self._loc_row)
        ranks, correct = arrays['ranks'], arrays['correct']
        metrics = summarize(
            ranks,
            arrays['num_classes'],
            correct,
            arrays['fixed'],
            self.thresholds,
            self.iou_thresholds,
            arrays['loc_correct'],
            self.topk,
            self.main_key,
        )
        if self.error_analysis:
            codes = np.array([r['loc_error'] for r in results])
            rates = error_rates(codes, None if ranks is None else ranks == 0)
            metrics.update(
                {ERROR_KEYS[name]: value for name, value in rates.items()}
            )
        metrics['invalid_maps'] = warn_invalid_maps(
            'WSOLMetric', [r['invalid_map'] for r in results]
        )
        warn_off_map([r['gt_off_map'] for r in results])
        if self.curves_file:
            curves = box_curves_record(
                correct[:, : len(self.iou_thresholds)],
                self.thresholds,
                self.iou_thresholds,
                self.box_mode,
                self.cam_curve_interval,
            )
            write_curves_part(self.curves_file, 'box', curves, self)
        return metrics
