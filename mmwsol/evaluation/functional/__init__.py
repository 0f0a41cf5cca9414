"""Pure numpy/OpenCV functions of the WSOL evaluation protocol."""
from .box_accuracy import (accuracy_curves, best_iou_curve,
                           box_accuracy_curves, box_correctness,
                           fixed_threshold_iou, iou_thresholds_as_fraction,
                           max_box_accuracy, resolve_box_backend)
from .boxes import (BOX_MODES, THRESHOLD_STANDARDS, boxes_at_level,
                    boxes_at_thresholds, boxes_from_foreground, cam_thresholds,
                    fixed_threshold_boxes, fixed_threshold_level,
                    scoremap_to_uint8, threshold_levels)
from .component_tree import level_best_ious, level_boxes
from .error_analysis import (LOC_CORRECT, LOC_ERROR_NAMES, LOC_MORE,
                             LOC_MULTI_INSTANCE, LOC_OTHER, LOC_PART, best_box,
                             box_overlaps, error_rates, localization_error)
from .iou import box_iou, rescale_boxes
from .pxap import (mask_score_histograms, peak_iou_from_histograms,
                   pixel_curves, pixel_curves_at_thresholds,
                   pixel_histogram_edges, pxap_from_histograms)

__all__ = [
    'BOX_MODES', 'THRESHOLD_STANDARDS', 'cam_thresholds', 'scoremap_to_uint8',
    'threshold_levels', 'fixed_threshold_level', 'boxes_from_foreground',
    'boxes_at_level', 'boxes_at_thresholds', 'fixed_threshold_boxes',
    'level_boxes', 'level_best_ious', 'box_iou', 'rescale_boxes',
    'iou_thresholds_as_fraction', 'best_iou_curve', 'box_correctness',
    'resolve_box_backend',
    'fixed_threshold_iou', 'accuracy_curves', 'max_box_accuracy',
    'box_accuracy_curves', 'LOC_CORRECT', 'LOC_MULTI_INSTANCE', 'LOC_PART',
    'LOC_MORE', 'LOC_OTHER', 'LOC_ERROR_NAMES', 'box_overlaps',
    'localization_error', 'best_box', 'error_rates', 'mask_score_histograms',
    'peak_iou_from_histograms', 'pixel_curves', 'pixel_curves_at_thresholds',
    'pixel_histogram_edges', 'pxap_from_histograms'
]
