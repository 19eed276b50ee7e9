"""A progress line on standard error for long runs at a terminal: `kubelint-py: loading 10000 files
(4 s)`, redrawn in place, shown only once a run has taken PROGRESS_DELAY seconds and erased before
the report is written. Never when standard error is not a terminal or CI is set (logs keep no
carriage-return animations), nor with --quiet.

It is driven by an interval timer (SIGALRM), not a thread: the run forks worker processes, and forking
while another thread may hold a lock is how children deadlock (Python 3.12 warns about it). Timers are
not inherited by forked children. The handler writes with os.write, never through sys.stderr's buffer,
so it cannot interrupt a write to it half-way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from types import FrameType, TracebackType
from typing import Any, TextIO

PROGRESS_DELAY = 2.0
REDRAW_INTERVAL = 0.25


def wanted(stream: TextIO | None = None, environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    target = stream if stream is not None else sys.stderr
    if env.get("CI") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and hasattr(signal, "setitimer")


class Progress:
    """`with Progress(enabled) as progress: lint(..., progress=progress.update)`."""

    def __init__(self, enabled: bool, fd: int = 2, delay: float = PROGRESS_DELAY) -> None:
        self.enabled = enabled
        self.fd = fd
        self.delay = delay
        self.text = "starting"
        self.started = time.monotonic()
        self.shown = False
        self._last = ""
        self._previous: Any = None

    def update(self, text: str) -> None:
        self.text = text

    def _draw(self, signum: int, frame: FrameType | None) -> None:
        elapsed = time.monotonic() - self.started
        line = f"\r\x1b[2Kkubelint-py: {self.text} ({elapsed:.0f} s)"
        if line == self._last:
            return
        self._last = line
        try:
            os.write(self.fd, line.encode("utf-8", "replace"))
            self.shown = True
        except OSError:
            pass

    def __enter__(self) -> Progress:
        if self.enabled:
            self.started = time.monotonic()
            try:
                self._previous = signal.signal(signal.SIGALRM, self._draw)
            except ValueError:  # not the main thread (lint called from a thread): no progress line
                self.enabled = False
                return self
            signal.setitimer(signal.ITIMER_REAL, self.delay, REDRAW_INTERVAL)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if not self.enabled:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)
        if self.shown:
            with contextlib.suppress(OSError):
                os.write(self.fd, b"\r\x1b[2K")  # the line disappears
