import mmpretrain.visualization  # noqa: F401  (registers the parent's modules)
