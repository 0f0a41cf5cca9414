"""init_localizer: checkpoints are loaded safely (weights_only) and
strictly; ``unsafe_load`` / ``partial_load`` are the explicit opt-ins."""

import os
import os.path as osp
import warnings
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config

from mmwsol.apis import init_localizer
from mmwsol.utils import CheckpointMismatchError, UnsafeCheckpointError

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)
SMALL = dict(
    model=dict(
        backbone=dict(stage_channels=(4, 8, 8, 16)), head=dict(in_channels=16)
    )
)


class RunsCommand:
    """Pickles as ``os.system(command)``: runs it when unpickled."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def small_config() -> Config:
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(SMALL)
    return cfg


@pytest.fixture(scope='module')
def random_model():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return init_localizer(small_config())


def test_code_in_a_checkpoint_is_refused_unless_opted_in(
    random_model, tmp_path
):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save(
        dict(
            meta=dict(note=RunsCommand(f'touch {marker}')),
            state_dict=random_model.model.state_dict(),
        ),
        path,
    )
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        init_localizer(small_config(), path)
    assert not marker.exists()
    model = init_localizer(small_config(), path, unsafe_load=True)
    assert marker.exists()
    for key, value in random_model.model.state_dict().items():
        assert torch.equal(model.model.state_dict()[key], value), key


def test_checkpoint_that_does_not_fit_is_an_error(random_model, tmp_path):
    state = OrderedDict(random_model.model.state_dict())
    state['head.fc.weight'] = torch.zeros(7, 16)
    removed = [k for k in state if k.startswith('backbone.stages.1.')]
    for key in removed:
        del state[key]
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(CheckpointMismatchError) as info:
        init_localizer(small_config(), path)
    message = str(info.value)
    # like MMEngine, a missing BN counter (num_batches_tracked) is no error
    missing = [k for k in removed if 'num_batches_tracked' not in k]
    assert f'{len(missing)} missing key(s)' in message
    assert removed[0] in message
    assert 'head.fc.weight (checkpoint [7, 16], model [6, 16])' in message
    # partial: what fits is loaded, the rest stays as built
    model = init_localizer(small_config(), path, partial_load=True)
    loaded = model.model.state_dict()
    for key, value in state.items():
        if key != 'head.fc.weight':
            assert torch.equal(loaded[key], value), key
    assert loaded['head.fc.weight'].shape == (6, 16)
