"""Box-based WSOL metric: classification, GT-known / Top-k Loc, MaxBoxAcc."""
import json
import os
import os.path as osp
from numbers import Number
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmwsol.registry import METRICS
from ..functional import (BOX_MODES, THRESHOLD_STANDARDS, best_box,
                          box_accuracy_curves, box_correctness, box_iou,
                          cam_thresholds, error_rates, fixed_threshold_boxes,
                          localization_error, max_box_accuracy, rescale_boxes)

#: Name of the main number of each box mode.
MAIN_KEYS = {
    'all': 'MaxBoxAccV2',
    'largest': 'MaxBoxAcc',
    'union': 'MaxBoxAccUnion'
}
#: Metric keys of SPA's error cases.
ERROR_KEYS = {
    'cls': 'err_cls',
    'multi_instance': 'err_multi_instance',
    'part': 'err_part',
    'more': 'err_more',
    'other': 'err_other'
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
    (rescaled to the map with ``int(x * W / w)``) is ``>= δ / 100``. The
    boxes of all thresholds come from an exact fast path (equal to tracing
    OpenCV contours threshold by threshold), so ``cam_curve_interval=0.001``
    is practical.

    All numbers are percentages over the evaluated images. With ``main`` the
    main key (``'MaxBoxAccV2'`` when ``box_mode='all'``, ``'MaxBoxAcc'``
    when ``box_mode='largest'``, ``'MaxBoxAccUnion'`` when
    ``box_mode='union'``) the result holds:

    - ``top{k}_cls`` (for each ``k`` in ``topk`` with ``k <= K`` classes):
      Top-k classification accuracy ("Top-1 Cls", "Top-5 Cls").
    - ``gt_known_loc``: "GT-known Loc" at the fixed threshold ``threshold``
      (standard ``threshold_standard``): the GT-class map's box reaches IoU
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
    - ``gt_known_loc_best``: GT-known Loc at the best CAM threshold for IoU
      ``loc_iou_threshold`` (equal to ``{main}@50``).
    - ``top{k}_loc_best``: Top-k Loc at that same CAM threshold.
    - with ``error_analysis=True``, SPA's error cases (Pan et al., CVPR
      2021, appendix, Algorithm 1) at the fixed threshold, see
      :mod:`~mmwsol.evaluation.functional.error_analysis`: ``err_cls``
      (top-1 class wrong), then among the correctly classified images
      ``err_multi_instance`` (M-Ins), ``err_part`` (Part), ``err_more``
      (More) and ``err_other`` (OT).

    Each sample (a dict, as MMEngine passes data samples to metrics) needs:

    - ``gt_cam``: the localization map of the GT class, shape (H, W), values
      in ``[0, 1]`` (network input size, e.g. 224 x 224). NaN is read as 0.
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

    Only a compact entry is kept per sample (the rank of the GT class, the
    packed correctness bits, the fixed-threshold result and the error case),
    never the map, so distributed evaluation gives exactly the
    single-process result.

    Args:
        iou_thresholds (Sequence[float]): IoU thresholds δ in percent of
            MaxBoxAcc. Defaults to (30, 50, 70).
        cam_curve_interval (float): Step of the CAM thresholds. Defaults to
            0.01 (wsolevaluation's default at validation; its final test
            uses 0.001).
        box_mode (str): ``'all'`` keeps a box per contour, holes included
            (MaxBoxAccV2); ``'largest'`` keeps the contour of largest area
            (MaxBoxAcc, V1); ``'union'`` keeps one box around the whole
            foreground (SPA's evaluation). Used for the fixed-threshold
            numbers too. Defaults to 'all'.
        threshold (float): Fixed threshold θ of ``gt_known_loc`` and
            ``top{k}_loc``. Defaults to 0.2 (the CAM convention of 20 % of
            the map's maximum, also Rethinking CAM's default ``loc_threshold``
            with the max standard; its PaS uses 0.35 with the 90th
            percentile).
        threshold_standard (str): ``'max'`` (level ``int(θ * u8.max())``) or
            ``'percentile'`` (level ``int(θ * percentile(u8, percentile))``).
            Defaults to 'max'.
        percentile (float): Percentile of the ``'percentile'`` standard.
            Defaults to 90.
        topk (int | Sequence[int]): The k of ``top{k}_cls`` and
            ``top{k}_loc``. Defaults to (1, 5).
        loc_iou_threshold (float): IoU threshold in percent of GT-known and
            Top-k Loc, and the "correct" test of the error analysis (there
            ``IoU > δ / 100``, strictly, as in SPA's Algorithm 1). Defaults
            to 50.
        error_analysis (bool): Add SPA's error cases. Defaults to False.
        curves_file (str, optional): When given, :meth:`compute_metrics`
            writes the accuracy-vs-threshold curves there as JSON (see
            :func:`~mmwsol.evaluation.functional.box_accuracy_curves`:
            ``thresholds``, ``iou_thresholds``, ``accuracy`` in percent per
            IoU threshold and CAM threshold, ``max_accuracy``,
            ``best_threshold``, ``box_mode``, ``interval``, ``num_images``).
            Each evaluation overwrites it. Defaults to None.
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

    def __init__(self,
                 iou_thresholds: Sequence[float] = (30, 50, 70),
                 cam_curve_interval: float = 0.01,
                 box_mode: str = 'all',
                 threshold: float = 0.2,
                 threshold_standard: str = 'max',
                 percentile: float = 90,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 loc_iou_threshold: float = 50,
                 error_analysis: bool = False,
                 curves_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if box_mode not in BOX_MODES:
            raise ValueError(f'Unknown box_mode {box_mode!r}, choose from '
                             f'{BOX_MODES}.')
        if threshold_standard not in THRESHOLD_STANDARDS:
            raise ValueError(f'Unknown threshold_standard '
                             f'{threshold_standard!r}, choose from '
                             f'{THRESHOLD_STANDARDS}.')
        if isinstance(iou_thresholds, Number):
            iou_thresholds = (iou_thresholds, )
        self.iou_thresholds = tuple(iou_thresholds)
        if not self.iou_thresholds:
            raise ValueError('At least one IoU threshold is needed.')
        for iou in self.iou_thresholds + (loc_iou_threshold, ):
            if not 0 <= iou <= 100 or 0 < iou < 1:
                raise ValueError('IoU thresholds are percentages in '
                                 f'[0, 100] (50, not 0.5), got {iou}.')
        self.loc_iou_threshold = loc_iou_threshold
        self.cam_curve_interval = cam_curve_interval
        self.thresholds = cam_thresholds(cam_curve_interval)
        self.box_mode = box_mode
        self.threshold = float(threshold)
        self.threshold_standard = threshold_standard
        self.percentile = percentile
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if any(k < 1 for k in self.topk):
            raise ValueError(f'topk must be positive, got {self.topk}.')
        self.error_analysis = bool(error_analysis)
        self.curves_file = curves_file
        self.main_key = MAIN_KEYS[box_mode]
        # The IoU rows stored per sample: the MaxBoxAcc ones, then the
        # localization IoU if it is not among them.
        self._iou_rows = list(self.iou_thresholds)
        if loc_iou_threshold not in self._iou_rows:
            self._iou_rows.append(loc_iou_threshold)
        self._loc_row = self._iou_rows.index(loc_iou_threshold)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Turn a batch of samples into compact per-sample entries.

        Args:
            data_batch (Any): The data batch (unused).
            data_samples (Sequence[dict]): The predicted samples, see the
                class docstring for the keys.
        """
        for sample in data_samples:
            entry = self._process_sample(sample)
            if self.results and (self.results[0]['gt_rank'] is None) != \
                    (entry['gt_rank'] is None):
                raise ValueError(
                    f'{_sample_name(sample)} '
                    f'{"lacks" if entry["gt_rank"] is None else "has"} '
                    "'pred_score' unlike the samples before it; WSOLMetric "
                    'evaluates either all samples with class scores or all '
                    'without (localization only).')
            self.results.append(entry)

    def _process_sample(self, sample: dict) -> dict:
        name = _sample_name(sample)
        for key in ('gt_cam', 'ori_gt_bboxes', 'ori_shape'):
            if sample.get(key) is None:
                raise ValueError(
                    f'{name} has no {key!r}; WSOLMetric needs gt_cam, '
                    'ori_gt_bboxes and ori_shape (pack the original GT boxes '
                    'and the original shape into the data sample), and '
                    'pred_score with gt_label for the classification '
                    'numbers.')
        rank = num_classes = None
        if sample.get('pred_score') is not None:
            if sample.get('gt_label') is None:
                raise ValueError(f"{name} has 'pred_score' but no "
                                 "'gt_label'; the classification numbers "
                                 'need the GT class.')
            scores = _to_numpy(sample['pred_score']).reshape(-1)
            label = _to_numpy(sample['gt_label']).reshape(-1)
            if label.size != 1:
                raise ValueError(f'{name}: WSOLMetric needs exactly one GT '
                                 f'label, got {label.tolist()}.')
            label = int(label[0])
            if not 0 <= label < scores.size:
                raise ValueError(f'{name}: GT label {label} is outside the '
                                 f'{scores.size} predicted classes.')
            rank = _gt_rank(scores, label)
            num_classes = int(scores.size)
        cam = _to_numpy(sample['gt_cam'])
        if cam.ndim == 3 and cam.shape[0] == 1:
            cam = cam[0]
        if cam.ndim != 2:
            raise ValueError(f'{name}: gt_cam must have shape (H, W), got '
                             f'{tuple(cam.shape)}.')
        ori_boxes = _to_numpy(sample['ori_gt_bboxes'])
        if ori_boxes.size == 0:
            raise ValueError(f'{name} has no GT box; box-based WSOL '
                             'evaluation needs at least one per image.')
        if ori_boxes.ndim not in (1, 2) or ori_boxes.shape[-1] != 4:
            raise ValueError(f'{name}: ori_gt_bboxes must have shape (N, 4), '
                             f'got {tuple(ori_boxes.shape)}.')
        ori_boxes = ori_boxes.reshape(-1, 4)
        if ((ori_boxes < 0).any() or (ori_boxes[:, 2] < ori_boxes[:, 0]).any()
                or (ori_boxes[:, 3] < ori_boxes[:, 1]).any()):
            raise ValueError(f'{name}: GT boxes must be [x0, y0, x1, y1] '
                             'with 0 <= x0 <= x1 and 0 <= y0 <= y1, got '
                             f'{ori_boxes.tolist()}.')
        ori_shape = tuple(int(v) for v in _to_numpy(sample['ori_shape'])[:2])
        gt_boxes = rescale_boxes(ori_boxes, ori_shape, cam.shape)

        try:
            correct = box_correctness(cam, gt_boxes, self.thresholds,
                                      self._iou_rows, self.box_mode)
            fixed_boxes = fixed_threshold_boxes(cam, self.threshold,
                                                self.threshold_standard,
                                                self.percentile, self.box_mode)
        except ValueError as error:
            raise ValueError(f'{name}: {error}') from error
        fixed_iou = float(box_iou(fixed_boxes, gt_boxes).max())
        entry = dict(
            gt_rank=rank,
            num_classes=num_classes,
            box_correct=np.packbits(correct, axis=-1),
            fixed_correct=bool(fixed_iou >= self.loc_iou_threshold / 100))
        if self.error_analysis:
            entry['loc_error'] = localization_error(
                best_box(fixed_boxes, gt_boxes), gt_boxes,
                self.loc_iou_threshold / 100)
        return entry

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics from the per-sample entries.

        On the main process only (MMEngine calls it there), it also writes
        ``curves_file`` when one is set.

        Args:
            results (list[dict]): The entries of :meth:`process`, gathered
                from all ranks.

        Returns:
            dict[str, float]: The metrics, see the class docstring.
        """
        with_scores = [r['gt_rank'] is not None for r in results]
        if any(with_scores) and not all(with_scores):
            raise ValueError(
                f'WSOLMetric got {sum(with_scores)} samples with '
                f"'pred_score' and {len(results) - sum(with_scores)} without; "
                'evaluate either all samples with class scores or all '
                'without (localization only).')
        num_thresholds = len(self.thresholds)
        ranks = None
        num_classes = 0
        if all(with_scores):
            ranks = np.array([r['gt_rank'] for r in results], dtype=np.int64)
            num_classes = min(r['num_classes'] for r in results)
        correct = np.stack([
            np.unpackbits(r['box_correct'], axis=-1,
                          count=num_thresholds).astype(bool) for r in results
        ])
        fixed = np.array([r['fixed_correct'] for r in results], dtype=bool)
        metrics = summarize(ranks, num_classes, correct, fixed,
                            self.thresholds, self.iou_thresholds,
                            self._loc_row, self.topk, self.main_key)
        if self.error_analysis:
            codes = np.array([r['loc_error'] for r in results])
            rates = error_rates(codes, None if ranks is None else ranks == 0)
            metrics.update({
                ERROR_KEYS[name]: value
                for name, value in rates.items()
            })
        if self.curves_file:
            curves = box_accuracy_curves(correct[:, :len(self.iou_thresholds)],
                                         self.thresholds, self.iou_thresholds,
                                         self.box_mode,
                                         self.cam_curve_interval)
            _write_json(self.curves_file, curves)
        return metrics


def summarize(ranks: Optional[np.ndarray], num_classes: int,
              correct: np.ndarray, fixed_correct: np.ndarray,
              thresholds: np.ndarray, iou_thresholds: Sequence[float],
              loc_row: int, topk: Sequence[int],
              main_key: str) -> Dict[str, float]:
    """The WSOL numbers from per-image results.

    Args:
        ranks (np.ndarray, optional): Rank of the GT class among the scores
            (0 = top prediction), shape (N, ). None without class scores:
            then no classification or top-k number is reported.
        num_classes (int): Number of classes K (unused without ranks).
        correct (np.ndarray): Box correctness, bool (N, n_rows, n_thr); the
            first ``len(iou_thresholds)`` rows are the IoU thresholds of
            MaxBoxAcc and row ``loc_row`` is the localization IoU.
        fixed_correct (np.ndarray): GT-known correctness at the fixed
            threshold, bool (N, ).
        thresholds (np.ndarray): The CAM thresholds.
        iou_thresholds (Sequence[float]): IoU thresholds of MaxBoxAcc.
        loc_row (int): Row of the localization IoU in ``correct``.
        topk (Sequence[int]): The k of the top-k numbers.
        main_key (str): The main key, e.g. ``'MaxBoxAccV2'``.

    Returns:
        dict[str, float]: The metrics in percent (thresholds as fractions).
    """
    num_images = len(correct)
    ks = [] if ranks is None else [k for k in topk if k <= num_classes]

    def percent(mask: np.ndarray) -> float:
        return float(np.count_nonzero(mask) * 100. / float(num_images))

    stats = max_box_accuracy(correct, thresholds)
    num_iou = len(iou_thresholds)
    # the main number comes first: ``CheckpointHook(save_best='auto')``
    # keeps the checkpoint that is best by the first key
    metrics: Dict[str, float] = {
        main_key: float(np.mean(stats['max_accuracy'][:num_iou]))
    }
    for k in ks:
        metrics[f'top{k}_cls'] = percent(ranks < k)
    metrics['gt_known_loc'] = percent(fixed_correct)
    for k in ks:
        metrics[f'top{k}_loc'] = percent(fixed_correct & (ranks < k))
    for i, iou in enumerate(iou_thresholds):
        metrics[f'{main_key}@{iou:g}'] = float(stats['max_accuracy'][i])
    for i, iou in enumerate(iou_thresholds):
        metrics[f'best_thr@{iou:g}'] = float(stats['best_threshold'][i])

    best = int(stats['best_index'][loc_row])
    metrics['gt_known_loc_best'] = float(stats['max_accuracy'][loc_row])
    best_correct = correct[:, loc_row, best]
    for k in ks:
        metrics[f'top{k}_loc_best'] = percent(best_correct & (ranks < k))
    return metrics


def _write_json(path: str, data: dict) -> None:
    """Write ``data`` as JSON, creating the parent folder."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def _gt_rank(scores: np.ndarray, label: int) -> int:
    """Rank of the GT class in the scores sorted in descending order.

    Ties are broken by the class index (the lower index ranks first, as
    ``argmax``), which makes the result deterministic.
    """
    order = np.argsort(-scores.astype(np.float64), kind='stable')
    return int(np.flatnonzero(order == label)[0])


def _sample_name(sample: dict) -> str:
    """A readable name of a sample for error messages."""
    for key in ('img_path', 'img_id', 'sample_idx'):
        if sample.get(key) is not None:
            return f'Sample {key}={sample[key]!r}'
    return 'A sample'


def _to_numpy(value: Any) -> np.ndarray:
    """A tensor (any device/dtype), array, sequence or number as numpy."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.is_floating_point() and value.dtype not in (torch.float32,
                                                             torch.float64):
            value = value.float()
        return value.numpy()
    return np.asarray(value)
