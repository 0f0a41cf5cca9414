"""tools/test.py, tools/train.py and tools/localize.py on checkpoints that
run code or do not fit the model: refused, nothing written."""

import importlib.util
import os
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
from tools_utils import ROOT, make_tiny_dataset, run_tool, write_tiny_config


class RunsCommand:
    """Pickles as ``os.system(command)``: runs it when unpickled."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def run(args, timeout=600):
    """Run a tool; return (exit code, combined output)."""
    return run_tool(args, timeout=timeout, check=False)


def load_tool(script: str):
    """Import ``tools/<script>`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f'tool_{script[:-3]}_ckpt', osp.join(ROOT, 'tools', script)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resnet18_state_dict() -> OrderedDict:
    """An mmpretrain ResNet-18 ImageNet classifier's state_dict (random)."""
    from mmpretrain.models import ImageClassifier

    model = ImageClassifier(
        backbone=dict(type='mmpretrain.ResNet', depth=18),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead', num_classes=1000, in_channels=512
        ),
    )
    return model.state_dict()


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """The tiny set and config, and checkpoints: fitting (random weights),
    fitting but running code, ResNet-18, empty."""
    import warnings

    from mmengine.runner import save_checkpoint

    from mmwsol.apis import init_localizer

    root = tmp_path_factory.mktemp('ckpt_tools')
    data = make_tiny_dataset(str(root / 'data'))
    cfg = write_tiny_config(str(root / 'tiny_cam.py'), data)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_localizer(cfg)
    state = model.model.state_dict()
    paths = dict(root=root, cfg=cfg, data=data, marker=root / 'pwned')
    paths['evil'] = str(root / 'evil.pth')
    torch.save(
        dict(
            meta=dict(note=RunsCommand(f'touch {paths["marker"]}')),
            state_dict=state,
        ),
        paths['evil'],
    )
    paths['resnet'] = str(root / 'resnet18.pth')
    save_checkpoint(dict(state_dict=resnet18_state_dict()), paths['resnet'])
    paths['empty'] = str(root / 'empty.pth')
    torch.save(dict(state_dict=OrderedDict()), paths['empty'])
    return paths


def test_test_tool_refuses_code_in_a_checkpoint(files):
    """The reported check: the CLI, a payload that touches a file."""
    out = str(files['root'] / 'evil_metrics.json')
    rc, log = run(
        [
            'tools/test.py',
            files['cfg'],
            files['evil'],
            '--work-dir',
            str(files['root'] / 'test_evil'),
            '--out',
            out,
        ]
    )
    assert rc != 0
    assert 'posix.system' in log and '--unsafe-load' in log
    assert not files['marker'].exists()
    assert not osp.exists(out)


def run_in_process(script: str, args, monkeypatch) -> None:
    """``tools/<script>`` main() with ``args`` (raises its SystemExit)."""
    module = load_tool(script)
    monkeypatch.setattr(sys, 'argv', [script, *args])
    module.main()


def test_test_tool_unsafe_load_is_the_opt_in(files, monkeypatch):
    out = str(files['root'] / 'unsafe_metrics.json')
    run_in_process(
        'test.py',
        [
            files['cfg'],
            files['evil'],
            '--work-dir',
            str(files['root'] / 'test_unsafe'),
            '--out',
            out,
            '--unsafe-load',
        ],
        monkeypatch,
    )
    # the payload ran (the file is real) and the model was tested
    assert files['marker'].exists()
    files['marker'].unlink()
    assert osp.isfile(out)


@pytest.mark.parametrize('which', ['resnet', 'empty'])
def test_test_tool_refuses_a_checkpoint_that_does_not_fit(
    files, which, monkeypatch, capsys
):
    out = str(files['root'] / f'{which}_metrics.json')
    with pytest.raises(SystemExit) as info:
        run_in_process(
            'test.py',
            [
                files['cfg'],
                files[which],
                '--work-dir',
                str(files['root'] / f'test_{which}'),
                '--out',
                out,
            ],
            monkeypatch,
        )
    message = str(info.value.code)
    assert message.startswith('error: ')
    assert 'does not fit the model WSOLClassifier' in message
    assert 'missing key(s)' in message and 'backbone.stages.0' in message
    assert '--partial-load' in message
    if which == 'resnet':
        assert 'unexpected key(s)' in message
        assert 'backbone.conv1.weight' in message
        assert (
            'head.fc.weight (checkpoint [1000, 512], model [3, 32])' in message
        )
    else:
        assert 'it holds no weights' in message
    assert 'wsol/MaxBoxAccV2' not in capsys.readouterr().out
    assert not osp.exists(out)


def test_test_tool_partial_load_is_explicit(files, monkeypatch, capsys):
    out = str(files['root'] / 'partial_metrics.json')
    run_in_process(
        'test.py',
        [
            files['cfg'],
            files['resnet'],
            '--work-dir',
            str(files['root'] / 'test_partial'),
            '--out',
            out,
            '--partial-load',
        ],
        monkeypatch,
    )
    log = capsys.readouterr().out
    assert 'Partial load' in log and 'backbone.conv1.weight' in log
    assert osp.isfile(out)


def test_train_tool_refuses_code_in_a_resume_checkpoint(files, monkeypatch):
    with pytest.raises(SystemExit) as info:
        run_in_process(
            'train.py',
            [
                files['cfg'],
                '--work-dir',
                str(files['root'] / 'train_evil'),
                '--resume',
                files['evil'],
            ],
            monkeypatch,
        )
    message = str(info.value.code)
    assert 'posix.system' in message and '--unsafe-load' in message
    assert not files['marker'].exists()


@pytest.mark.parametrize('which', ['evil', 'resnet', 'empty'])
def test_localize_tool_refuses(files, which, tmp_path, capsys):
    import cv2
    import numpy as np

    image = str(tmp_path / 'a.png')
    cv2.imwrite(image, np.full((40, 40, 3), 128, np.uint8))
    out = str(tmp_path / 'out')
    tool = load_tool('localize.py')
    assert tool.main([files['cfg'], files[which], image, '--out', out]) == 1
    err = capsys.readouterr().err
    if which == 'evil':
        assert 'posix.system' in err and '--unsafe-load' in err
    else:
        assert 'does not fit the model' in err and '--partial-load' in err
    assert not files['marker'].exists()
    assert not osp.exists(osp.join(out, 'pseudo_labels.json'))
    if which == 'resnet':
        assert (
            tool.main(
                [
                    files['cfg'],
                    files[which],
                    image,
                    '--out',
                    out,
                    '--partial-load',
                ]
            )
            == 0
        )
        assert osp.isfile(osp.join(out, 'pseudo_labels.json'))
