"""Switch SPA's restricted activation loss on from epoch ``ram_start``."""

from typing import List

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmwsol.registry import HOOKS


def ram_modules(model: nn.Module) -> List[nn.Module]:
    """Return the submodules that follow a RAM schedule.

    Those are the modules with a ``ram_start`` attribute and a
    ``set_epoch(epoch)`` method, such as :class:`RAMHead`.

    Args:
        model (nn.Module): The model (wrappers are unwrapped).

    Returns:
        list[nn.Module]: The modules, possibly empty.
    """
    if is_model_wrapper(model):
        model = model.module
    return [
        m
        for m in model.modules()
        if hasattr(m, 'ram_start') and callable(getattr(m, 'set_epoch', None))
    ]


@HOOKS.register_module()
class RAMStartHook(Hook):
    """Give the RAM head the training epoch, so that its restricted
    activation loss starts at epoch ``ram_start``.

    The schedule (``ram_start``) lives in the head's config, next to the
    loss it switches. Before every training epoch this hook calls
    ``set_epoch(runner.epoch)`` on every module that has a ``ram_start``
    (e.g. :class:`RAMHead`): the state is derived from the runner's epoch,
    never from a counter of the hook, so it is right after ``--resume``
    (MMEngine restores ``runner.epoch`` before ``before_train_epoch``). It
    logs when the loss switches on. Epoch-based training only.

    Args:
        strict (bool): Raise an error when the model has no module with a
            RAM schedule (a config mistake). Defaults to True.
    """

    priority = 'NORMAL'

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def before_train(self, runner) -> None:
        """Check the model and set the epoch once before training."""
        modules = ram_modules(runner.model)
        if not modules and self.strict:
            raise RuntimeError(
                'RAMStartHook: the model has no module with a RAM schedule '
                '(`ram_start` + `set_epoch`), e.g. a RAMHead'
            )
        for m in modules:
            m.set_epoch(runner.epoch)

    def before_train_epoch(self, runner) -> None:
        """Set the current epoch on every RAM module."""
        epoch = runner.epoch
        for m in ram_modules(runner.model):
            m.set_epoch(epoch)
            if (
                getattr(m, 'ra_loss', None) is not None
                and epoch == m.ram_start
            ):
                print_log(
                    f'RAM: restricted activation loss on from epoch '
                    f'{epoch + 1} (ram_start={m.ram_start}, 0-based)',
                    logger='current',
                )
