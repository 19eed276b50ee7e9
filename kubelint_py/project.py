"""Where a run's cross-file references are resolved when it is given only some files (pre-commit).

The project root is the nearest folder holding a kubelint configuration file, else the git top level.
A tree with neither gets no extra context: the given files are linted on their own, as before (walking
an unmarked parent folder, say the home folder for `check ~/x.yaml`, would read far too much); pass
`--project-root DIR` to choose one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
    """The top level of the git work tree holding `start`, asked from git itself (no network)."""
    marker = next((folder for folder in _ancestors(start) if (folder / ".git").exists()), None)
    if marker is None:
        return None  # not in a repository: spare the subprocess
    git = shutil.which("git")
    if git is None:
        return marker
    try:
        done = subprocess.run([git, "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return marker
    top = done.stdout.strip()
    return Path(top) if done.returncode == 0 and top else marker


def find_project_root(paths: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The root to load as context for the given files, or None when they are not inside a project."""
    cwd = cwd or Path.cwd()
    start = common_parent(paths, cwd)
    for folder in _ancestors(start):
        if any((folder / name).is_file() for name in CONFIG_NAMES):
            return folder
    return git_toplevel(start)


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
