import mmpretrain.datasets  # noqa: F401  (registers the parent's modules)
