"""Writing the files a run produces (reports, baselines) to a path the user named, without destroying
what is there.

* A character device, FIFO, socket or terminal (`/dev/null`, `/dev/stdout`, a named pipe) is written
  through, as a shell redirection would: it is never replaced by a regular file (as root, a rename over
  `/dev/null` destroyed the device node).
* `/dev/stdout`, `/dev/fd/N` and `/proc/self/fd/N` are links to an open descriptor: written through too
  (appending, so that a report printed to standard output before is kept).
* Any other symbolic link is refused unless `force` (then the file it leads to is written).
* A regular file (or a new one) is written to a temporary file in the same folder and renamed, so readers
  never see half a report; a new file gets the usual mode (0666 less the umask: 0644 under umask 022), an
  existing one keeps its mode.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

_DESCRIPTOR_LINKS = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/")


class LinkRefused(OSError):
    """The report path is a symbolic link and `force` was not given."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


Content = str | Callable[[TextIO], None]
"""What to write: the text, or a function that writes it to the open file piece by piece (a report
streamed finding by finding)."""


def _emit(handle: TextIO, content: Content) -> None:
    if isinstance(content, str):
        handle.write(content)
    else:
        content(handle)


def _write_through(path: str, content: Content) -> None:
    for stream in (sys.stdout, sys.stderr):  # keep the order of what this process printed before
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        _emit(handle, content)


def write_atomically(path: str, content: Content, *, force: bool = False) -> None:
    """Write content to path by the rules above (OSError when it cannot, LinkRefused for a link)."""
    link = os.path.islink(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None  # missing, or a dangling link
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "is a folder", path)
        _write_through(path, content)
        return
    if link:
        if any(os.path.abspath(path).startswith(prefix) for prefix in _DESCRIPTOR_LINKS):
            _write_through(path, content)
            return
        if not force:
            raise LinkRefused(40, "is a symbolic link (give --force to write to the file it leads to)", path)
        path = os.path.realpath(path)
        info = None if not os.path.exists(path) else os.stat(path)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when a report goes to a file

    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            _emit(handle, content)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
