import mmpretrain.visualization  # noqa: F401  (registers the parent's modules)

from .curves import (
    load_curves,
    plot_box_accuracy,
    plot_curves,
    plot_precision_recall,
    save_figure,
    split_curves,
)
from .overlay import colorize_map, draw_cam_overlay

__all__ = [
    'colorize_map',
    'draw_cam_overlay',
    'load_curves',
    'plot_box_accuracy',
    'plot_curves',
    'plot_precision_recall',
    'save_figure',
    'split_curves',
]
