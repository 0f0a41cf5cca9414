"""What ``tools/train.py`` and ``tools/test.py`` print on the console.

MMEngine's :class:`~mmengine.runner.Runner` logs, at INFO and before the
first useful line, the system environment, the whole config and the table of
hooks (about 330 lines). They belong in the log file, not on the console.
:class:`QuietConsoleRunner` is the runner with one change: its logger's
console handler gets a :class:`ConsoleDumpFilter`, so these records go only
to the log file (``<work_dir>/<timestamp>/<timestamp>.log``). Nothing global
is changed: other loggers, the file handler and other runners are as usual.
``--verbose`` on the tools builds the plain runner instead.
"""

import logging
from typing import List, Tuple

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

__all__ = [
    'ConsoleDumpFilter',
    'QuietConsoleRunner',
    'build_runner',
    'is_console_noise',
    'quiet_console',
    'run_header',
]

#: Functions of MMEngine whose records are dumps (the environment and the
#: config, ``Runner._log_env``).
_DUMP_FUNCTIONS = ('_log_env',)

#: Beginnings of the other records the console leaves out.
_DUMP_PREFIXES: Tuple[str, ...] = (
    # the hook table, ~100 lines (Runner.__init__)
    'Hooks will be executed in the following order',
    # a note for models with SyncBN; these models have none
    'Distributed training is not used, all SyncBatchNorm',
    # MMEngine's own deprecation notes (CheckpointHook uses FileClient)
    '"FileClient" will be deprecated',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)

#: Whole messages the console leaves out: ``--resume`` on a fresh work dir
#: (``make demo``'s first run) says it resumed from ``None``.
_DUMP_MESSAGES: Tuple[str, ...] = (
    'Auto resumed from the latest checkpoint None.',
)


def is_console_noise(record: logging.LogRecord) -> bool:
    """Whether a log record belongs in the log file only.

    Args:
        record (logging.LogRecord): The record.

    Returns:
        bool: True for the environment / config dumps, the hook table and
        MMEngine's notes listed in ``_DUMP_PREFIXES`` / ``_DUMP_MESSAGES``;
        errors are never hidden.
    """
    if record.levelno >= logging.ERROR:
        return False
    if record.funcName in _DUMP_FUNCTIONS:
        return True
    message = record.getMessage().lstrip('\n')
    return message.startswith(_DUMP_PREFIXES) or message in _DUMP_MESSAGES


class ConsoleDumpFilter(logging.Filter):
    """A handler filter that drops :func:`is_console_noise` records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_console_noise(record)


def _is_console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


def quiet_console(logger: logging.Logger) -> logging.Logger:
    """Add a :class:`ConsoleDumpFilter` to the console handlers of a logger.

    Idempotent; file handlers are left alone.

    Args:
        logger (logging.Logger): Usually the runner's :class:`MMLogger`.

    Returns:
        logging.Logger: The same logger.
    """
    for handler in logger.handlers:
        if _is_console(handler) and not any(
            isinstance(f, ConsoleDumpFilter) for f in handler.filters
        ):
            handler.addFilter(ConsoleDumpFilter())
    return logger


class QuietConsoleRunner(Runner):
    """MMEngine's runner, with the dumps in the log file only.

    Only :meth:`build_logger` differs: it installs :func:`quiet_console` on
    the logger before the runner logs anything.
    """

    def build_logger(self, *args, **kwargs) -> MMLogger:
        """Build the logger (see :meth:`Runner.build_logger`), quietly."""
        logger = super().build_logger(*args, **kwargs)
        quiet_console(logger)
        return logger


def build_runner(cfg: Config, verbose: bool = False) -> Runner:
    """Build the runner of a tool, as mmpretrain's tools do.

    Args:
        cfg (Config): The full config.
        verbose (bool): Print the dumps on the console too (the plain
            MMEngine runner).

    Returns:
        Runner: ``QuietConsoleRunner`` (or ``Runner`` when ``verbose``);
        with ``runner_type`` in the config, that runner, with
        :func:`quiet_console` installed after it is built.
    """
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
        if not verbose:
            quiet_console(runner.logger)
        return runner
    runner_cls = Runner if verbose else QuietConsoleRunner
    return runner_cls.from_cfg(cfg)


def run_header(runner: Runner, config_file: str, verbose: bool) -> List[str]:
    """The few lines a tool prints before it starts.

    Args:
        runner (Runner): The built runner.
        config_file (str): The config file given on the command line.
        verbose (bool): Whether the dumps were printed.

    Returns:
        list[str]: Config, work dir and log file, one per line.
    """
    log_file = getattr(runner.logger, 'log_file', None)
    dumps = 'the environment, the full config and the hooks'
    if not verbose:
        dumps += '; --verbose prints them here too'
    return [
        f'config:   {config_file}',
        f'work dir: {runner.work_dir}',
        f'log file: {log_file} ({dumps})',
    ]
