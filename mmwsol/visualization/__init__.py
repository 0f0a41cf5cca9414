import mmpretrain.visualization  # noqa: F401  (registers the parent's modules)

from .overlay import colorize_map, draw_cam_overlay

__all__ = ['colorize_map', 'draw_cam_overlay']
