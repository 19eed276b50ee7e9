"""Reading the files a configuration names (the configuration itself, policies, a baseline).

They come with the pull request like the linted files: a `baseline: /dev/zero` or a FIFO must not fill
memory or block the run, so only regular files are read, without blocking, up to MAX_BYTES.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kubelint_py.engine.config import ConfigError

MAX_BYTES = 10_000_000
"""The largest configuration, policy or baseline file read."""


def read_text(path: Path | str, what: str, *, limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file (ConfigError for anything else, FileNotFoundError when missing)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror or error}") from None
    with open(fd, "rb", closefd=True) as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ConfigError(f"{what} {path} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(f"{what} {path} is larger than {limit // 1_000_000} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"cannot read {what} {path}: {error}") from None


def inside(path: str, folder: str) -> bool:
    """True when path (resolved, links followed) is folder or below it."""
    real, root = os.path.realpath(path), os.path.realpath(folder)
    try:
        return os.path.commonpath([real, root]) == root
    except ValueError:
        return False
