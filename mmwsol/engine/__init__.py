import mmpretrain.engine  # noqa: F401  (registers the parent's modules)

from .hooks import *  # noqa: F401,F403
