import mmpretrain.engine  # noqa: F401  (registers the parent's modules)
