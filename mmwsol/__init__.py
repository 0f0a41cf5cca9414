"""mmwsol: weakly supervised object localization on OpenMMLab.

Importing mmwsol changes nothing outside mmwsol: no numpy aliases, no
re-registered MMEngine checkpoint loader (checkpoints are read safely by
:mod:`mmwsol.utils.checkpoint`, see docs/checkpoints.md).
"""

import warnings

from .version import __version__, version_info

# mmwsol runs on mmcv-lite (no compiled ops); mmcv warns about the missing
# deformable attention op on every import, which mmwsol never uses.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``'
)

__all__ = ['__version__', 'version_info']
