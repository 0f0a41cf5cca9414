"""The progress display: bounded plain lines off a terminal, \\r on one."""

import io

import pytest

from mmwsol.utils.progress import Progress, track


class FakeClock:
    """A clock that advances ``step`` seconds per call."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_tty_writes_one_line_per_ten_percent():
    stream = io.StringIO()
    items = list(range(5000))
    out = list(track(items, desc='eval', stream=stream, clock=FakeClock()))
    assert out == items
    lines = stream.getvalue().splitlines()
    # 10 %, 20 %, ..., 90 % and the final line: 10 lines, no \r, no bar
    assert len(lines) == 10
    assert '\r' not in stream.getvalue()
    assert lines[0].startswith('eval: 500/5000 (10%)')
    assert lines[4].startswith('eval: 2500/5000 (50%)')
    assert lines[-1].startswith('eval: 5000/5000 (100%)')
    assert 'done in' in lines[-1]
    assert all(len(line) < 100 for line in lines)


def test_off_tty_rate_and_eta_follow_the_clock():
    stream = io.StringIO()
    # 0.5 s per clock call, one call per step: 2 items per second
    progress = Progress(
        total=100, desc='x', stream=stream, clock=FakeClock(0.5), enabled=True
    )
    for _ in range(10):
        progress.update()
    line = stream.getvalue().splitlines()[0]
    # 10 items in 5 s -> 2.0 it/s; 90 left -> 45 s
    assert line == 'x: 10/100 (10%) 2.0 it/s, ETA 0:00:45'


def test_off_tty_interval_lines_when_steps_are_slow():
    stream = io.StringIO()
    # 100 s per step, interval 30 s: a line at every step of 1000 ...
    progress = Progress(
        total=1000,
        stream=stream,
        interval=30,
        clock=FakeClock(100.0),
        enabled=True,
    )
    for _ in range(5):
        progress.update()
    assert len(stream.getvalue().splitlines()) == 5
    # ... but a fast loop only writes at the 10 % steps
    stream = io.StringIO()
    progress = Progress(
        total=1000, stream=stream, interval=30, clock=FakeClock(0.001)
    )
    for _ in range(1000):
        progress.update()
    assert len(stream.getvalue().splitlines()) == 10


def test_unknown_total_writes_count_only_on_interval_and_close():
    stream = io.StringIO()
    gen = (i for i in range(50))
    list(track(gen, desc='g', stream=stream, clock=FakeClock()))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('g: 50 ')
    assert 'done in' in lines[0]


def test_tty_redraws_in_place_and_ends_with_newline():
    stream = FakeTTY()
    # 0.2 s per call: every update is past the 0.1 s refresh
    list(track(range(4), desc='t', stream=stream, clock=FakeClock(0.2)))
    text = stream.getvalue()
    assert text.count('\n') == 1 and text.endswith('\n')
    frames = text.rstrip('\n').split('\r')[1:]
    assert len(frames) == 4  # 1/4, 2/4, 3/4 and the final 4/4
    assert frames[0].startswith('t: [######...................] 1/4 (25%)')
    assert frames[-1].startswith('t: [#########################] 4/4 (100%)')


def test_tty_throttles_fast_loops():
    stream = FakeTTY()
    list(track(range(1000), stream=stream, clock=FakeClock(0.0)))
    # no time passes: only the final frame is drawn
    assert stream.getvalue().count('\r') == 1


def test_early_stop_says_stopped_and_disabled_writes_nothing():
    stream = io.StringIO()
    for i in track(range(10), desc='s', stream=stream, clock=FakeClock()):
        if i == 2:
            break
    assert stream.getvalue().splitlines()[-1].startswith('s: 2/10 (20%)')
    assert 'stopped in' in stream.getvalue()
    quiet = io.StringIO()
    list(track(range(10), stream=quiet, enabled=False))
    assert quiet.getvalue() == ''


def test_default_stream_is_current_stderr(capsys):
    list(track(range(3), desc='d', clock=FakeClock()))
    captured = capsys.readouterr()
    assert captured.out == ''
    # 3 items: every item crosses a 10 % step
    assert captured.err.splitlines()[0].startswith('d: 1/3 (33%)')
    assert captured.err.splitlines()[-1].startswith('d: 3/3 (100%)')


@pytest.mark.parametrize(
    'kwargs', [dict(total=-1), dict(total=3, step_percent=0)]
)
def test_bad_arguments_are_clear_errors(kwargs):
    with pytest.raises(ValueError, match='must be'):
        Progress(stream=io.StringIO(), **kwargs)
