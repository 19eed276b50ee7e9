"""Where a report's paths are anchored for machines: the repository root, and URIs relative to it.

Code scanning and workflow annotations want paths relative to the repository root, whatever folder
kubelint-py ran in, so the root is the git top level of the linted files (found by looking for `.git`,
a folder or, in worktrees and submodules, a file), else the working directory. (config.project_root is
not used: it says which files give context to cross-file checks, and may be a sub-folder.)
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from kubelint_py.discovery.project_root import git_toplevel

if TYPE_CHECKING:
    from kubelint_py.results.report import Report


def project_root(report: Report, cwd: Path | None = None) -> str:
    """The folder that relative URIs start from (absolute, normalised)."""
    base = os.path.abspath(cwd or Path.cwd())
    cache: dict[str, str | None] = {}
    tops: Counter[str] = Counter()
    for source in report.files:
        top = git_toplevel(os.path.dirname(os.path.normpath(os.path.join(base, source.path))), cache)
        if top is not None:
            tops[top] += 1
    if tops:
        # Files from several repositories: the one holding most of them wins; the rest get absolute URIs.
        return tops.most_common(1)[0][0]
    return base


class PathMapper:
    """Turns displayed paths (relative to the cwd, or absolute) into root-relative forms, with a cache."""

    def __init__(self, root: str, cwd: Path | None = None) -> None:
        self.root = root
        self.cwd = os.path.abspath(cwd or Path.cwd())
        self._cache: dict[str, tuple[str, bool]] = {}
        self._uris: dict[str, tuple[str, bool]] = {}

    def relative(self, path: str) -> tuple[str, bool]:
        """(POSIX path relative to the root, True) or (absolute POSIX path, False) when outside it."""
        hit = self._cache.get(path)
        if hit is None:
            absolute = os.path.normpath(os.path.join(self.cwd, path))
            rel = os.path.relpath(absolute, self.root) if _inside(absolute, self.root) else None
            hit = (Path(rel).as_posix(), True) if rel is not None else (Path(absolute).as_posix(), False)
            self._cache[path] = hit
        return hit

    def uri(self, path: str) -> tuple[str, bool]:
        """(relative URI reference, True) or (absolute file: URI, False)."""
        hit = self._uris.get(path)
        if hit is None:
            rel, inside = self.relative(path)
            # Percent-encode everything but '/' and unreserved characters; ':' too, so that a first
            # segment such as `a:b.yaml` cannot be read as a URI scheme.
            # A name that is not valid UTF-8 (decoded with surrogateescape) is quoted from its bytes.
            hit = self._uris[path] = ((quote(rel.encode("utf-8", "surrogateescape"), safe="/"), True) if inside
                                      else (Path(rel).as_uri(), False))
        return hit

    def root_uri(self) -> str:
        uri = Path(self.root).as_uri()
        return uri if uri.endswith("/") else uri + "/"


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        return False
