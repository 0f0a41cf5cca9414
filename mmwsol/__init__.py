"""mmwsol: weakly supervised object localization on OpenMMLab."""
from .utils.compat import apply_compat
from .version import __version__, version_info

apply_compat()

__all__ = ['__version__', 'version_info']
