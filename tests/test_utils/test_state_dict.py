"""Strict loading of weights: what does not fit is an error listing it."""

from collections import OrderedDict

import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from mmwsol.utils import (
    CheckpointMismatchError,
    load_model_weights,
    load_state_dict_checked,
)


class Net(nn.Module):
    """conv (8 x 3 x 3 x 3) -> bn -> fc (4 x 8): 7 tensors + a counter."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, classes)


class Renaming(nn.Module):
    """Reads the old name ``old.weight`` as ``new.weight`` (like VGG)."""

    def __init__(self) -> None:
        super().__init__()
        self.new = nn.Linear(2, 2, bias=False)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        old = prefix + 'old.weight'
        if old in state_dict:
            state_dict[prefix + 'new.weight'] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def filled(model: nn.Module, value: float) -> OrderedDict:
    return OrderedDict(
        (k, torch.full_like(v, value)) for k, v in model.state_dict().items()
    )


def test_exact_checkpoint_loads():
    model, source = Net(), Net()
    state = filled(source, 0.5)
    report = load_state_dict_checked(model, dict(state_dict=state))
    assert report.ok
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_module_prefix_and_missing_counter_are_accepted():
    model = Net()
    state = OrderedDict(
        ('module.' + k, v)
        for k, v in filled(Net(), 2.0).items()
        if 'num_batches_tracked' not in k
    )
    assert load_state_dict_checked(model, state).ok
    assert torch.equal(model.fc.weight, torch.full((4, 8), 2.0))


def test_keys_renamed_by_the_module_load_strictly():
    model = Renaming()
    assert load_state_dict_checked(model, {'old.weight': torch.ones(2, 2)}).ok
    assert torch.equal(model.new.weight, torch.ones(2, 2))


def test_mismatch_lists_missing_unexpected_and_shapes():
    model = Net(classes=4)
    state = filled(Net(classes=6), 1.0)  # fc: 6 x 8 and 6
    del state['conv.bias']
    state['head.extra'] = torch.zeros(1)
    with pytest.raises(CheckpointMismatchError) as info:
        load_state_dict_checked(model, state, source='other.pth')
    message = str(info.value)
    assert message.startswith('other.pth does not fit the model Net')
    assert '1 missing key(s)' in message and 'conv.bias' in message
    assert '1 unexpected key(s)' in message and 'head.extra' in message
    assert '2 key(s) with a different shape' in message
    assert 'fc.weight (checkpoint [6, 8], model [4, 8])' in message
    assert 'fc.bias (checkpoint [6], model [4])' in message
    assert '--partial-load' in message


def test_long_lists_show_the_first_five_and_the_count():
    model = nn.Sequential(*[nn.Linear(1, 1) for _ in range(6)])  # 12 keys
    with pytest.raises(CheckpointMismatchError) as info:
        load_state_dict_checked(model, dict(state_dict={}))
    message = str(info.value)
    assert 'checkpoint (it holds no weights) does not fit' in message
    assert '12 missing key(s)' in message
    assert (
        '0.weight, 0.bias, 1.weight, 1.bias, 2.weight, ... (7 more)' in message
    )
    assert '5.bias' not in message


def test_partial_load_loads_what_fits_and_logs_the_rest(capsys):
    model = Net(classes=4)
    before = model.fc.weight.detach().clone()
    state = filled(Net(classes=6), 3.0)
    del state['bn.bias']
    logger = MMLogger.get_instance('test_partial_load')
    report = load_state_dict_checked(
        model, state, source='x.pth', partial=True, logger=logger
    )
    assert report.missing == ['bn.bias']
    assert [m.split(' ')[0] for m in report.mismatched] == [
        'fc.weight',
        'fc.bias',
    ]
    assert torch.equal(model.conv.weight, torch.full((8, 3, 3, 3), 3.0))
    assert torch.equal(model.fc.weight, before)  # left as it was
    out = capsys.readouterr().out
    assert 'WARNING - Partial load' in out and 'bn.bias' in out
    assert 'fc.weight (checkpoint [6, 8], model [4, 8])' in out


def test_load_model_weights_from_file(tmp_path):
    path = str(tmp_path / 'net.pth')
    torch.save(dict(meta=dict(epoch=3), state_dict=filled(Net(), 4.0)), path)
    model = Net()
    ckpt = load_model_weights(model, path)
    assert ckpt['meta']['epoch'] == 3
    assert torch.equal(model.bn.weight, torch.full((8,), 4.0))
    with pytest.raises(CheckpointMismatchError, match='net.pth'):
        load_model_weights(Net(classes=5), path)
