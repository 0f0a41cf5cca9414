import mmpretrain.evaluation  # noqa: F401  (registers the parent's modules)
