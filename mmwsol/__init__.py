"""mmwsol: weakly supervised object localization on OpenMMLab."""
import warnings

from .utils.compat import apply_compat
from .version import __version__, version_info

# mmwsol runs on mmcv-lite (no compiled ops); mmcv warns about the missing
# deformable attention op on every import, which mmwsol never uses.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')

apply_compat()

__all__ = ['__version__', 'version_info']
