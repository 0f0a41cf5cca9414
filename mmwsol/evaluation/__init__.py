import mmpretrain.evaluation  # noqa: F401  (registers the parent's modules)

from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
