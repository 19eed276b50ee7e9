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
MAX_PATTERNS = 2_000
"""Patterns used from one ignore file (compiling one costs about 0.1-0.2 ms)."""
MAX_TOTAL_PATTERNS = 10_000
"""Patterns compiled in one walk: ignore files past this budget are not read (their files are linted)."""
CHUNK = 512
"""Patterns compiled together. pathspec matches a spec's patterns as one RE2 set when google-re2 is
installed (linear time, one pass per path), and RE2 refuses sets much larger than this."""


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


class Spec:
    """One ignore file's patterns, compiled in chunks; the last pattern that matches decides, as in git."""

    def __init__(self, chunks: list[GitIgnoreSpec]) -> None:
        self.chunks = chunks

    def check(self, path: str) -> bool | None:
        """True: ignored, False: re-included (`!pattern`), None: no pattern matches."""
        for chunk in reversed(self.chunks):
            include = chunk.check_file(path).include
            if include is not None:
                return bool(include)
        return None


def _compile(patterns: list[str]) -> list[GitIgnoreSpec]:
    """Specs for these patterns in order: all together when the backend takes them, else by halves.
    pathspec's best backend is RE2 (linear time) when google-re2 is installed; a single pattern RE2
    refuses is given to pathspec's Python matcher, and one neither compiles is skipped (as git skips a
    line it cannot read)."""
    from pathspec import GitIgnoreSpec

    try:
        return [GitIgnoreSpec.from_lines(patterns)]
    except Exception:
        if len(patterns) == 1:
            try:
                return [GitIgnoreSpec.from_lines(patterns, backend="simple")]
            except Exception:
                return []
    half = len(patterns) // 2
    return [*_compile(patterns[:half]), *_compile(patterns[half:])]


def _spec(patterns: list[str]) -> Spec | None:
    if not patterns:
        return None
    chunks: list[GitIgnoreSpec] = []
    for start in range(0, len(patterns), CHUNK):
        chunks.extend(_compile(patterns[start:start + CHUNK]))
    return Spec(chunks) if chunks else None


Level = tuple[str, Spec]
"""A folder's path relative to the work tree top ("" for the top) and its patterns."""


class GitIgnore:
    """The ignore rules that apply inside one work tree."""

    def __init__(self, top: str) -> None:
        self.top = top
        self._specs: dict[str, Spec | None] = {}
        self._budget = MAX_TOTAL_PATTERNS

    @classmethod
    def for_folder(cls, folder: str) -> GitIgnore | None:
        """The rules for a walk starting at `folder`, or None outside a git work tree."""
        top = work_tree_top(os.path.realpath(folder))
        return cls(top) if top is not None else None

    def spec_of(self, rel_dir: str, has_gitignore: bool | None = None) -> Spec | None:
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
        patterns = patterns[:max(self._budget, 0)]
        self._budget -= len(patterns)
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
        result = spec.check(inner + "/" if is_dir else inner)
        if result is not None:
            return result
    return False
