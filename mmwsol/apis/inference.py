"""``init_localizer`` / ``localize``: one-line wrappers of
:class:`~mmwsol.apis.WSOLInferencer`, kept for existing code."""

import os.path as osp
from typing import List, Union

import numpy as np

from .inferencer import WSOLInferencer
from .result import LocalizationResult


def init_localizer(config, checkpoint=None, **kwargs) -> WSOLInferencer:
    """``WSOLInferencer(config, checkpoint, **kwargs)`` (same arguments)."""
    return WSOLInferencer(config, checkpoint, **kwargs)


def localize(
    inferencer: WSOLInferencer, images, batch_size: int = 8, **kwargs
) -> Union[LocalizationResult, List[LocalizationResult]]:
    """``inferencer(images, batch_size=8, **kwargs)``, except that one
    image (a file or an array) gives one result instead of a list."""
    results = inferencer(images, batch_size=batch_size, **kwargs)
    one = isinstance(images, np.ndarray) or (
        isinstance(images, str) and not osp.isdir(images)
    )
    return results[0] if one else results
