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


def git_toplevel(start: Path) -> Path | None:
    """The top of the git work tree holding `start`: the nearest folder with a `.git` entry (a folder,
    or the file of a worktree or submodule), which is what git answers without GIT_DIR tricks. Found by
    looking rather than by asking git: a subprocess costs more than a whole one-file run's rules."""
    from kubelint_py.report.paths import git_toplevel as nearest_git_folder

    found = nearest_git_folder(str(start))
    return Path(found) if found is not None else None


def find_project_root(paths: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The root to load as context for the given files, or None when there is no sensible one."""
    cwd = cwd or Path.cwd()
    start = common_parent(paths, cwd)
    for folder in _ancestors(start):
        if any((folder / name).is_file() for name in CONFIG_NAMES):
            return folder
    top = git_toplevel(start)
    if top is not None:
        return top
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
