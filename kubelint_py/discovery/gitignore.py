"""`.gitignore` for the folder walk, as git reads it (pattern matching by the pathspec library).

Inside a git work tree (a folder at or above the walked one holds `.git`), a file or folder is skipped
when git would ignore it: the `.gitignore` of each folder from the work tree's top down to the file's,
and `.git/info/exclude`, with the deepest matching pattern deciding (so `!keep.yaml` in a sub-folder
re-includes what a parent ignores). An ignored folder is not entered, so, as in git, nothing below it
can be re-included. Outside a git work tree `.gitignore` files mean nothing (as for git and ruff).
The global excludes file (core.excludesFile) is not read: it is the user's, not the repository's.

Files are read with a budget: a hostile repository's 100 MB `.gitignore` must not cost the run.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

MAX_BYTES = 512 * 1024
"""Bytes read from one ignore file (more is left unread)."""
MAX_PATTERNS = 5_000
"""Patterns used from one ignore file: each costs a regular-expression match per path checked."""


def work_tree_top(folder: str) -> str | None:
    """The nearest folder at or above `folder` holding `.git` (a folder, or a file in worktrees)."""
    current = folder
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _read_patterns(path: str) -> list[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES)
    except OSError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")][:MAX_PATTERNS]


def _spec(patterns: list[str]) -> GitIgnoreSpec | None:
    if not patterns:
        return None
    from pathspec import GitIgnoreSpec

    try:  # pathspec's best backend: RE2 (linear time) when google-re2 is installed
        return GitIgnoreSpec.from_lines(patterns)
    except Exception:
        pass
    # RE2 refuses some sets (too large for its memory budget) and some patterns: Python's matcher then,
    # for the lines it can compile (git ignores a line it cannot read; we skip it too).
    valid = []
    for pattern in patterns:
        try:
            GitIgnoreSpec.from_lines([pattern], backend="simple")
        except Exception:
            continue
        valid.append(pattern)
    return GitIgnoreSpec.from_lines(valid, backend="simple") if valid else None


Level = tuple[str, "GitIgnoreSpec"]
"""A folder's path relative to the work tree top ("" for the top) and its patterns."""


class GitIgnore:
    """The ignore rules that apply inside one work tree."""

    def __init__(self, top: str) -> None:
        self.top = top
        self._specs: dict[str, GitIgnoreSpec | None] = {}

    @classmethod
    def for_folder(cls, folder: str) -> GitIgnore | None:
        """The rules for a walk starting at `folder`, or None outside a git work tree."""
        top = work_tree_top(os.path.realpath(folder))
        return cls(top) if top is not None else None

    def spec_of(self, rel_dir: str, has_gitignore: bool | None = None) -> GitIgnoreSpec | None:
        """The patterns of the folder `rel_dir` (relative to the top; "" is the top, which also gets
        .git/info/exclude). has_gitignore: known from the folder's listing (None: look)."""
        if rel_dir in self._specs:
            return self._specs[rel_dir]
        folder = os.path.join(self.top, rel_dir) if rel_dir else self.top
        patterns: list[str] = []
        if rel_dir == "":
            patterns += _read_patterns(os.path.join(self.top, ".git", "info", "exclude"))
        if has_gitignore is None or has_gitignore:
            patterns += _read_patterns(os.path.join(folder, ".gitignore"))
        spec = self._specs[rel_dir] = _spec(patterns)
        return spec

    def levels_above(self, folder: str) -> list[Level]:
        """The specs of the folders from the top down to `folder`'s parent (the walk reads `folder`'s own)."""
        real = os.path.realpath(folder)
        rel = os.path.relpath(real, self.top)
        parts = [] if rel == "." else rel.split(os.sep)
        levels: list[Level] = []
        for depth in range(len(parts)):
            rel_dir = "/".join(parts[:depth])
            spec = self.spec_of(rel_dir)
            if spec is not None:
                levels.append((rel_dir, spec))
        return levels

    def relative(self, folder: str) -> str:
        rel = os.path.relpath(os.path.realpath(folder), self.top)
        return "" if rel == "." else rel.replace(os.sep, "/")


def ignored(levels: list[Level], rel_path: str, is_dir: bool) -> bool:
    """Whether `rel_path` (relative to the work tree top, `/`-separated) is ignored by the deepest level
    that has an opinion on it."""
    for base, spec in reversed(levels):
        inner = rel_path[len(base) + 1:] if base else rel_path
        result = spec.check_file(inner + "/" if is_dir else inner)
        if result.include is not None:
            return bool(result.include)
    return False
