"""The test configs compute only the maps the metrics read (issue #13.9)."""

import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p
)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_computes_only_the_gt_map(path):
    """The metrics read ``gt_cam`` only: a config asking for top-k maps
    would spend a localizer call (a backward pass for the gradient
    localizers) per extra map and image for nothing."""
    cfg = Config.fromfile(path)
    assert cfg.model.get('topk_maps', 1) == 0, path
