"""The tools' console filter: dumps go to the log file only."""

import logging
import uuid

from mmengine.logging import MMLogger

from mmwsol.utils.console import (
    ConsoleDumpFilter,
    is_console_noise,
    quiet_console,
)


def record(msg: str, func: str = 'train', level: int = logging.INFO):
    return logging.LogRecord(
        'mmengine', level, __file__, 1, msg, None, None, func=func
    )


def test_dumps_are_noise_and_the_rest_is_not():
    # Runner._log_env logs the environment and the config
    assert is_console_noise(record('\n----\nSystem environment:', '_log_env'))
    assert is_console_noise(record('Config:\nmodel = ...', '_log_env'))
    assert is_console_noise(
        record('Hooks will be executed in the following order:\n...')
    )
    assert is_console_noise(
        record('"FileClient" will be deprecated in future.', 'warning')
    )
    assert is_console_noise(
        record('Auto resumed from the latest checkpoint None.', 'load')
    )
    # what a person reads stays
    for msg in (
        'Epoch(train) [1][10/19]  lr: 2.7500e-02  loss: 1.78',
        'Epoch(test) [16/16]  wsol/MaxBoxAccV2: 55.19',
        'Checkpoints will be saved to work_dirs/demo.',
        'metrics written to metrics.json',
        'Auto resumed from the latest checkpoint work_dirs/x/epoch_3.pth.',
        'Config: a user message that merely starts like the dump',
    ):
        assert not is_console_noise(record(msg)), msg
    # errors are never hidden, whatever they say
    assert not is_console_noise(
        record('System environment:', '_log_env', logging.ERROR)
    )


def test_quiet_console_filters_the_console_not_the_file(tmp_path, capsys):
    log_file = tmp_path / 'run.log'
    logger = MMLogger.get_instance(
        f'test_console_{uuid.uuid4().hex}', log_file=str(log_file)
    )
    quiet_console(logger)
    quiet_console(logger)  # idempotent
    console = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    files = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    assert len(console) == 1 and len(files) == 1
    assert sum(isinstance(f, ConsoleDumpFilter) for f in console[0].filters)
    assert len(console[0].filters) == 2  # MMEngine's duplicate filter + ours
    assert not any(isinstance(f, ConsoleDumpFilter) for f in files[0].filters)

    logger.info('Hooks will be executed in the following order:\nbefore_run')
    logger.info('Epoch(train) [1][1/3]  loss: 1.1')
    for handler in logger.handlers:
        handler.flush()
    out = capsys.readouterr().out
    assert 'Epoch(train) [1][1/3]' in out
    assert 'Hooks will be executed' not in out
    text = log_file.read_text()
    assert 'Hooks will be executed' in text and 'before_run' in text
    assert 'Epoch(train) [1][1/3]' in text
