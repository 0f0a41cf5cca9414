"""Pure numpy/OpenCV functions of the WSOL evaluation protocol."""
from .box_accuracy import (accuracy_curves, best_iou_curve, box_correctness,
                           fixed_threshold_iou, iou_thresholds_as_fraction,
                           max_box_accuracy)
from .boxes import (BOX_MODES, THRESHOLD_STANDARDS, boxes_at_level,
                    boxes_at_thresholds, boxes_from_foreground, cam_thresholds,
                    fixed_threshold_boxes, fixed_threshold_level,
                    scoremap_to_uint8, threshold_levels)
from .iou import box_iou, rescale_boxes
from .pxap import (mask_score_histograms, peak_iou_from_histograms,
                   pixel_curves, pixel_histogram_edges, pxap_from_histograms)

__all__ = [
    'BOX_MODES', 'THRESHOLD_STANDARDS', 'cam_thresholds', 'scoremap_to_uint8',
    'threshold_levels', 'fixed_threshold_level', 'boxes_from_foreground',
    'boxes_at_level', 'boxes_at_thresholds', 'fixed_threshold_boxes',
    'box_iou', 'rescale_boxes', 'iou_thresholds_as_fraction', 'best_iou_curve',
    'box_correctness', 'fixed_threshold_iou', 'accuracy_curves',
    'max_box_accuracy', 'mask_score_histograms', 'peak_iou_from_histograms',
    'pixel_curves', 'pixel_histogram_edges', 'pxap_from_histograms'
]
