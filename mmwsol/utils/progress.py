"""A small progress display for the command-line tools.

On a terminal it redraws one live line (``\\r`` updates, throttled); off a
terminal (a log file, a pipe, CI) it writes a plain line at every 10 % step
and at most every ``interval`` seconds otherwise, so a long loop never turns
into one huge line of ``>>>>`` characters. Example::

    from mmwsol.utils.progress import track

    for item in track(items, desc='eval_scoremaps'):
        ...

prints, off a terminal::

    eval_scoremaps: 500/5000 (10%) 12.3 it/s, ETA 0:06:05
    ...
    eval_scoremaps: 5000/5000 (100%) 12.1 it/s, done in 0:06:53
"""

import sys
import time
from typing import Callable, Iterable, Iterator, Optional, TextIO, TypeVar

T = TypeVar('T')

__all__ = ['Progress', 'track']


def _fmt_duration(seconds: float) -> str:
    """Format seconds as ``H:MM:SS``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f'{hours}:{minutes:02d}:{secs:02d}'


def _is_tty(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    isatty = getattr(stream, 'isatty', None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # closed or detached stream
        return False


def _is_main_process() -> bool:
    """Whether this is rank 0 (or not a distributed run)."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a dependency
        return True
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return True


class Progress:
    """Progress of a loop of ``total`` steps, written to ``stream``.

    Args:
        total (int, optional): Number of steps; ``None`` when unknown (then
            only the count and the rate are shown).
        desc (str): Name shown at the start of each line.
        stream (TextIO, optional): Where to write. Defaults to the current
            ``sys.stderr``.
        interval (float): Off a terminal, the longest time in seconds
            between two lines (besides the lines at every 10 % step).
        step_percent (int): Off a terminal, write a line each time the
            progress crosses a multiple of this percentage.
        tty (bool, optional): Force the terminal (``True``) or plain-line
            (``False``) display; ``None`` asks ``stream.isatty()``.
        enabled (bool, optional): ``False`` writes nothing. ``None`` writes
            only on rank 0 of a distributed run.
        clock (Callable[[], float]): Time source (for tests).
    """

    #: Shortest time between two redraws on a terminal (seconds).
    TTY_REFRESH = 0.1
    BAR_WIDTH = 25

    def __init__(
        self,
        total: Optional[int] = None,
        desc: str = 'progress',
        stream: Optional[TextIO] = None,
        interval: float = 30.0,
        step_percent: int = 10,
        tty: Optional[bool] = None,
        enabled: Optional[bool] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total is not None and total < 0:
            raise ValueError(f'total must be >= 0, got {total}')
        if not 0 < step_percent <= 100:
            raise ValueError(
                f'step_percent must be in (0, 100], got {step_percent}'
            )
        self.total = total
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.interval = float(interval)
        self.step_percent = int(step_percent)
        self.tty = _is_tty(self.stream) if tty is None else bool(tty)
        self.enabled = _is_main_process() if enabled is None else enabled
        self.clock = clock
        self.count = 0
        self.start = clock()
        self._last_write = self.start
        self._next_step = self.step_percent
        self._closed = False
        self._line_len = 0

    # -- formatting -----------------------------------------------------
    def _rate(self, now: float) -> float:
        elapsed = now - self.start
        return self.count / elapsed if elapsed > 0 else 0.0

    def format_line(self, now: float, final: bool = False) -> str:
        """The text of one progress line at time ``now``.

        Args:
            now (float): The current time from ``clock``.
            final (bool): Whether the loop is finished.

        Returns:
            str: e.g. ``'desc: 500/5000 (10%) 12.3 it/s, ETA 0:06:05'``.
        """
        rate = self._rate(now)
        parts = [f'{self.desc}:']
        if self.total:
            percent = 100.0 * self.count / self.total
            if self.tty:
                filled = int(self.BAR_WIDTH * self.count / self.total)
                filled = min(filled, self.BAR_WIDTH)
                bar = '#' * filled + '.' * (self.BAR_WIDTH - filled)
                parts.append(f'[{bar}]')
            parts.append(f'{self.count}/{self.total} ({percent:.0f}%)')
        else:
            parts.append(f'{self.count}')
        text = ' '.join(parts) + f' {rate:.1f} it/s'
        if final:
            word = 'done' if self.total in (None, self.count) else 'stopped'
            text += f', {word} in {_fmt_duration(now - self.start)}'
        elif self.total and rate > 0:
            eta = (self.total - self.count) / rate
            text += f', ETA {_fmt_duration(eta)}'
        return text

    # -- writing --------------------------------------------------------
    def _write_tty(self, text: str, final: bool) -> None:
        pad = max(0, self._line_len - len(text))
        self.stream.write('\r' + text + ' ' * pad + ('\n' if final else ''))
        self._line_len = len(text)
        self.stream.flush()

    def _write_plain(self, text: str) -> None:
        self.stream.write(text + '\n')
        self.stream.flush()

    def _crossed_step(self) -> bool:
        if not self.total:
            return False
        percent = 100.0 * self.count / self.total
        if percent < self._next_step:
            return False
        while self._next_step <= percent:
            self._next_step += self.step_percent
        return True

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps and redraw if it is time to."""
        self.count += n
        if not self.enabled or self._closed:
            return
        now = self.clock()
        if self.total is not None and self.count >= self.total:
            self.close()
            return
        if self.tty:
            if now - self._last_write >= self.TTY_REFRESH:
                self._write_tty(self.format_line(now), final=False)
                self._last_write = now
            return
        crossed = self._crossed_step()
        if crossed or now - self._last_write >= self.interval:
            self._write_plain(self.format_line(now))
            self._last_write = now

    def close(self) -> None:
        """Write the final line (once)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        text = self.format_line(self.clock(), final=True)
        if self.tty:
            self._write_tty(text, final=True)
        else:
            self._write_plain(text)

    def __enter__(self) -> 'Progress':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track(
    iterable: Iterable[T],
    total: Optional[int] = None,
    desc: str = 'progress',
    stream: Optional[TextIO] = None,
    **kwargs,
) -> Iterator[T]:
    """Iterate over ``iterable`` while showing its progress.

    Args:
        iterable (Iterable): The items.
        total (int, optional): Number of items; defaults to
            ``len(iterable)`` when it has one.
        desc (str): Name shown at the start of each line.
        stream (TextIO, optional): Where to write (default: ``sys.stderr``).
        **kwargs: Other arguments of :class:`Progress` (``interval``,
            ``tty``, ``enabled``, ...).

    Yields:
        The items of ``iterable``, unchanged.
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    progress = Progress(total=total, desc=desc, stream=stream, **kwargs)
    try:
        for item in iterable:
            yield item
            progress.update()
    finally:
        progress.close()
