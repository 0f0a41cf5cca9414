import mmpretrain.models  # noqa: F401  (registers the parent's modules)
