"""Safe checkpoint loading: weights_only=True with an explicit allow-list."""

import io
import os
import pickle
import random
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from mmwsol.utils import (
    UnsafeCheckpointError,
    checkpoint_loading,
    load_checkpoint_file,
    safe_checkpoint_globals,
)


class RunsCommand:
    """Pickles as ``os.system(command)``: runs it when unpickled."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class HistoryBufferAttribute:
    """Pickles as ``getattr(HistoryBuffer, name)``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self):
        return getattr, (HistoryBuffer, self.name)


def save_malicious(path, marker) -> str:
    """A checkpoint whose ``meta`` touches ``marker`` when unpickled."""
    torch.save(
        dict(
            state_dict=OrderedDict(w=torch.ones(2)),
            meta=dict(note=RunsCommand(f'touch {marker}')),
        ),
        str(path),
    )
    return str(path)


def test_code_in_a_checkpoint_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = save_malicious(tmp_path / 'evil.pth', marker)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path)
    message = str(info.value)
    assert path in message
    assert 'posix.system' in message or 'os.system' in message
    assert '--unsafe-load' in message and 'trust' in message
    assert not marker.exists()


def test_mmengine_loader_refuses_code_after_import_mmwsol(tmp_path):
    # mmwsol used to re-register MMEngine's local loader with
    # weights_only=False for the whole process
    from mmengine.runner.checkpoint import CheckpointLoader

    import mmwsol  # noqa: F401

    marker = tmp_path / 'pwned'
    path = save_malicious(tmp_path / 'evil.pth', marker)
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    with pytest.raises(UnsafeCheckpointError):
        with checkpoint_loading():
            CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert not marker.exists()


def test_unsafe_opt_in_loads_it(tmp_path):
    marker = tmp_path / 'pwned'
    path = save_malicious(tmp_path / 'evil.pth', marker)
    ckpt = load_checkpoint_file(path, unsafe=True)
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert marker.exists()  # the payload is real


@pytest.mark.filterwarnings(
    'ignore:Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
)
def test_unsafe_context_is_scoped(tmp_path):
    marker = tmp_path / 'pwned'
    path = save_malicious(tmp_path / 'evil.pth', marker)
    before = os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD')
    with checkpoint_loading(unsafe=True):
        torch.load(path)  # what MMEngine's loaders call
    assert marker.exists()
    assert os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD') == before
    marker.unlink()
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)
    assert not marker.exists()


def mmengine_like_checkpoint() -> dict:
    """What MMEngine + RNGStateHook save: message hub, numpy, RNG states."""
    hub = MessageHub.get_instance('test_checkpoint_hub')
    for i in range(3):
        hub.update_scalar('train/loss', np.float32(0.5 + i))
        hub.update_scalar('train/lr', 0.1 / (i + 1))
    hub.update_info('eta', np.float64(12.5))
    hub.update_info('best_score', np.float64(55.25))
    hub.update_info('iter', 3)
    random.seed(1)
    np.random.seed(2)
    return dict(
        meta=dict(
            epoch=1,
            iter=3,
            seed=0,
            cfg='x = 1',
            dataset_meta=dict(classes=('a', 'b')),
        ),
        state_dict=OrderedDict(w=torch.arange(4.0), b=torch.zeros(2)),
        message_hub=hub.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1, params=[0])]),
        rng_states=[
            dict(
                python=random.getstate(),
                numpy=np.random.get_state(),
                torch=torch.get_rng_state(),
            )
        ],
        extra=dict(
            scalars=[
                np.int64(3),
                np.bool_(True),
                np.uint8(7),
                np.float16(1.5),
            ],
            arrays=[
                np.arange(5, dtype=np.int32),
                np.ones((2, 2), dtype=np.float64),
            ],
            dtype=np.dtype('float32'),
        ),
    )


def test_mmengine_checkpoint_loads_without_opt_in(tmp_path):
    ckpt = mmengine_like_checkpoint()
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(ckpt, path)
    loaded = load_checkpoint_file(path)
    scalars = loaded['message_hub']['log_scalars']
    assert isinstance(scalars['train/loss'], HistoryBuffer)
    assert scalars['train/loss'].mean() == pytest.approx(1.5)
    assert scalars['train/lr'].current() == pytest.approx(0.1 / 3)
    assert scalars['train/loss'].statistics('max') == pytest.approx(2.5)
    assert loaded['message_hub']['runtime_info']['eta'] == 12.5
    rng = loaded['rng_states'][0]
    assert rng['python'] == ckpt['rng_states'][0]['python']
    np_state, ref = rng['numpy'], ckpt['rng_states'][0]['numpy']
    assert np_state[0] == 'MT19937'
    np.testing.assert_array_equal(np_state[1], ref[1])
    assert np_state[1].dtype == np.uint32
    assert np_state[2:] == ref[2:]
    assert torch.equal(rng['torch'], ckpt['rng_states'][0]['torch'])
    extra = loaded['extra']
    assert [type(x) for x in extra['scalars']] == [
        np.int64,
        np.bool_,
        np.uint8,
        np.float16,
    ]
    assert extra['arrays'][0].tolist() == [0, 1, 2, 3, 4]
    assert extra['dtype'] == np.dtype('float32')
    # restoring the states works on the loaded objects
    random.setstate(rng['python'])
    np.random.set_state(rng['numpy'])


def test_allow_list_is_exactly_the_checkpoint_types():
    names = set()
    for entry in safe_checkpoint_globals():
        if isinstance(entry, tuple):
            names.add(entry[1])
        else:
            names.add(f'{entry.__module__}.{entry.__qualname__}')
    expected = {
        'mmengine.logging.history_buffer.HistoryBuffer',
        'builtins.getattr',
        'numpy.ndarray',
        'numpy.dtype',
        'numpy.core.multiarray._reconstruct',
        'numpy.core.multiarray.scalar',
        'numpy._core.multiarray._reconstruct',
        'numpy._core.multiarray.scalar',
    }
    assert expected <= names
    extra = names - expected
    # the rest are DType classes of bool and numbers (numpy >= 1.25)
    assert all(n.startswith('numpy.dtypes.') for n in extra), extra
    assert not any(
        kind in n for n in extra for kind in ('Object', 'Str', 'Void', 'Bytes')
    )


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    ok = str(tmp_path / 'ok.pth')
    torch.save(dict(f=HistoryBufferAttribute('mean')), ok)
    assert load_checkpoint_file(ok)['f'] is HistoryBuffer.mean
    for name in ('update', '__init__', 'register_statistics'):
        bad = str(tmp_path / f'{name}.pth')
        torch.save(dict(f=HistoryBufferAttribute(name)), bad)
        with pytest.raises(UnsafeCheckpointError, match='getattr'):
            load_checkpoint_file(bad)


def test_numpy1_checkpoints_load(tmp_path):
    """numpy 1 wrote ``numpy.core.multiarray``; numpy 2 ``numpy._core``."""
    path = str(tmp_path / 'np2.pth')
    torch.save(dict(eta=np.float64(2.5), a=np.arange(3)), path)
    old = str(tmp_path / 'np1.pth')
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, 'w') as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith('data.pkl'):
                assert b'numpy._core.multiarray' in data
                data = data.replace(
                    b'numpy._core.multiarray', b'numpy.core.multiarray'
                )
            dst.writestr(item, data)
    loaded = load_checkpoint_file(old)
    assert loaded['eta'] == 2.5 and loaded['a'].tolist() == [0, 1, 2]


def test_allow_list_is_scoped_and_keeps_user_entries(tmp_path):
    path = str(tmp_path / 'hub.pth')
    buf = HistoryBuffer()
    buf.update(1.0)
    torch.save(dict(b=buf), path)
    # torch keeps the allow-list as a set: compare as sets (the order of
    # get_safe_globals() is arbitrary once torch has rebuilt the set)
    before = set(torch.serialization.get_safe_globals())
    assert HistoryBuffer not in before
    load_checkpoint_file(path)
    assert set(torch.serialization.get_safe_globals()) == before
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)  # the allow-list is not left behind
    # an entry the user registered before stays after the context
    with torch.serialization.safe_globals([HistoryBuffer]):
        load_checkpoint_file(path)
        assert HistoryBuffer in torch.serialization.get_safe_globals()


def test_not_a_dict_and_missing_file(tmp_path):
    path = str(tmp_path / 'tensor.pth')
    torch.save(torch.ones(2), path)
    with pytest.raises(RuntimeError, match='not a dict'):
        load_checkpoint_file(path)
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        load_checkpoint_file(str(tmp_path / 'nothing.pth'))


def test_in_memory_buffer_is_not_accepted_as_path():
    with pytest.raises(FileNotFoundError):
        load_checkpoint_file(str(io.BytesIO()))
