"""Load the weights to test safely and strictly (``tools/test.py``)."""

from typing import Optional

from mmengine.hooks import Hook

from mmwsol.registry import HOOKS
from mmwsol.utils.checkpoint import load_checkpoint_file
from mmwsol.utils.state_dict import load_state_dict_checked


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Load a checkpoint before testing; anything that does not fit fails.

    MMEngine's ``Runner.load_checkpoint`` (``load_from``) is lenient: a
    checkpoint of another architecture only prints size-mismatch lines, and
    the run then reports the metrics of a partly random model. With
    ``load_from=None`` and this hook the checkpoint is instead read with
    ``weights_only=True`` and the allow-list of
    :mod:`mmwsol.utils.checkpoint`, and loaded strictly (missing, unexpected
    and mis-shaped keys are an error that lists them).

    It runs where ``Runner.load_or_resume`` would, after ``before_run``
    (hooks such as ``EMAHook`` build their state there) and before the
    first batch, and calls the hooks' ``after_load_checkpoint`` first, as
    ``Runner.load_checkpoint`` does. It acts in ``before_test`` only (never
    during training).

    Args:
        filename (str): The checkpoint.
        partial (bool): Load what fits, log the rest. Defaults to False.
        unsafe (bool): Unpickle anything; only for files you trust.
            Defaults to False.
        map_location (str): As for :func:`torch.load`. Defaults to 'cpu'.
    """

    priority = 'HIGHEST'

    def __init__(
        self,
        filename: str,
        partial: bool = False,
        unsafe: bool = False,
        map_location: Optional[str] = 'cpu',
    ) -> None:
        self.filename = filename
        self.partial = partial
        self.unsafe = unsafe
        self.map_location = map_location
        self._loaded = False

    def _load(self, runner) -> None:
        if self._loaded:
            return
        checkpoint = load_checkpoint_file(
            self.filename, self.map_location, self.unsafe
        )
        runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        load_state_dict_checked(
            runner.model,
            checkpoint,
            source=self.filename,
            partial=self.partial,
            logger=runner.logger,
        )
        self._loaded = True
        runner.logger.info(
            f'Load checkpoint from {self.filename}'
            f'{" (partial)" if self.partial else ""}'
        )

    def before_test(self, runner) -> None:
        """Load before the first test batch."""
        self._load(runner)
