"""Progress of long work on stderr: done of total, the rate, and an estimate of what is left.

Shown when stderr is a terminal, or with `--progress` (a pipe, a log file); never with
`--no-progress`. So a script that reads stdout gets nothing extra, and stdout never carries
progress at all. On a terminal a line is redrawn in place (carriage return) at most every
`TERMINAL_INTERVAL` seconds; elsewhere a line is written at the start, at most every
`PIPE_INTERVAL` seconds, and at the end, each a full line.

    sending: 12,000/100,000 records (12%), 8,512 records/s, about 10 s left
    sending: 100,000 records in 11.7 s, 8,547 records/s

The rate and the estimate are figures of this run, labelled as such ("about"); they prove
nothing about the evidence.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

import click

TERMINAL_INTERVAL = 0.2
PIPE_INTERVAL = 5.0

_F = TypeVar("_F", bound=Callable[..., Any])


def progress_option(command: _F) -> _F:
    """`--progress/--no-progress`: the command's progress on stderr (default: on a
    terminal only). The command gets `progress: bool | None`."""
    return click.option(
        "--progress/--no-progress",
        "progress",
        default=None,
        help="Show progress and an estimate on stderr (default: only on a terminal).",
    )(command)


def wanted(progress: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether to show progress: as asked, else only if `stream` (stderr) is a terminal."""
    if progress is not None:
        return progress
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def _amount(value: float, unit: str) -> str:
    """A count in words: bytes as MB (10^6), anything else as an integer with commas."""
    if unit == "bytes":
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,.0f}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """One phase of work (`label`) of `total` units (None: not known in advance).

    Call `advance(n)` as work is done and `finish()` at the end (or use `track`). Disabled,
    it costs a comparison per call.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "records",
        enabled: bool,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled
        self.done = 0
        self._stream = sys.stderr if stream is None else stream
        self._terminal = wanted(None, self._stream)
        self._clock = clock
        self._started = clock()
        self._shown_at: float | None = None
        self._finished = False
        if enabled and self._terminal:  # at once, so a long silent step is not a blank
            self._shown_at = self._started
            self._write("\r" + self._line() + "\x1b[K", end="")
        elif enabled:
            self._write(self._line(), end="\n")

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = self._clock()
        interval = TERMINAL_INTERVAL if self._terminal else PIPE_INTERVAL
        if self._shown_at is not None and now - self._shown_at < interval:
            return
        self._shown_at = now
        if self._terminal:
            self._write("\r" + self._line() + "\x1b[K", end="")
        else:
            self._write(self._line(), end="\n")

    def reached(self, done: int, _total: int | None = None) -> None:
        """`advance` to `done` in all: the form of a callback told `(done, total)`."""
        self.advance(done - self.done)

    def finish(self) -> None:
        if self._finished or not self.enabled:
            self._finished = True
            return
        self._finished = True
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        line = f"{self.label}: {self._of(self.done)} in {_duration(elapsed)}, {self._of(rate)}/s"
        self._write(("\r" + line + "\x1b[K") if self._terminal else line, end="\n")

    def abandon(self) -> None:
        """The work failed: end a line drawn in place, so the failure's own line starts
        clean; no summary."""
        if self.enabled and self._terminal and self._shown_at is not None:
            self._write("", end="\n")
        self._finished = True

    def _line(self) -> str:
        elapsed = self._clock() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total is None:
            text = f"{self.label}: {self._of(self.done)}"
        else:
            percent = 100 * self.done // self.total if self.total else 100
            done = _amount(self.done, self.unit).removesuffix(" MB")
            text = f"{self.label}: {done}/{self._of(self.total)} ({percent}%)"
        if self.done and elapsed > 0:
            text += f", {self._of(rate)}/s"
            if self.total is not None and rate > 0 and self.done < self.total:
                text += f", about {_duration((self.total - self.done) / rate)} left"
        return text

    def _of(self, value: float) -> str:
        amount = _amount(value, self.unit)
        return amount if self.unit == "bytes" else f"{amount} {self.unit}"

    def _write(self, text: str, *, end: str) -> None:
        self._stream.write(text + end)
        self._stream.flush()


@contextmanager
def track(
    label: str, total: int | None, *, progress: bool | None, unit: str = "records"
) -> Iterator[Progress]:
    """A `Progress` on stderr if `wanted(progress)`, finished when the block ends well (a
    failure prints its own line; a half-drawn progress line is ended first)."""
    shown = Progress(label, total, unit=unit, enabled=wanted(progress))
    try:
        yield shown
    except BaseException:
        shown.abandon()
        raise
    shown.finish()
