"""Where a run's cross-file references are resolved when it is given only some files (pre-commit).

The project root is the nearest folder holding a kubelint configuration file, else the git top level,
else the common parent folder of the given files. The last is refused when it is the file system root,
the home folder or the temporary folder (walking those for context would read far too much): the
given files are then linted on their own. `--project-root DIR` chooses one; `--no-project` turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

CONFIG_NAMES = (".kubelint.yaml", ".kubelint.yml")


def _ancestors(start: Path) -> list[Path]:
    return [start, *start.parents]


def common_parent(paths: Sequence[str], cwd: Path) -> Path:
    folders = []
    for raw in paths:
        full = Path(raw) if Path(raw).is_absolute() else cwd / raw
        real = Path(os.path.realpath(full))
        folders.append(str(real if real.is_dir() else real.parent))
    return Path(os.path.commonpath(folders)) if folders else cwd


def git_toplevel(directory: str, cache: dict[str, str | None] | None = None) -> str | None:
    """The nearest folder at or above `directory` holding `.git`, or None."""
    cache = {} if cache is None else cache
    visited: list[str] = []
    current = directory
    found: str | None = None
    while True:
        if current in cache:
            found = cache[current]
            break
        visited.append(current)
        if os.path.exists(os.path.join(current, ".git")):
            found = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in visited:
        cache[folder] = found
    return found


def find_project_root(paths: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The root to load as context for the given files, or None when there is no sensible one."""
    cwd = cwd or Path.cwd()
    start = common_parent(paths, cwd)
    for folder in _ancestors(start):
        if any((folder / name).is_file() for name in CONFIG_NAMES):
            return folder
    # The nearest folder with a `.git` entry (a folder, or a worktree's or submodule's file) is what git
    # answers without GIT_DIR tricks; looking costs less than a git subprocess.
    top = git_toplevel(str(start))
    if top is not None:
        return Path(top)
    return None if _too_broad(start) else start


def _too_broad(folder: Path) -> bool:
    broad = {Path(folder.anchor), Path.home(), Path(os.environ.get("TMPDIR") or "/tmp")}
    return any(folder == Path(os.path.realpath(candidate)) for candidate in broad)


def only_files(paths: Sequence[str], cwd: Path | None = None) -> bool:
    """True when every path names a file (the pre-commit case), not a folder."""
    cwd = cwd or Path.cwd()
    if not paths:
        return False
    for raw in paths:
        full = Path(raw) if Path(raw).is_absolute() else cwd / raw
        if full.is_dir():
            return False
    return True
