"""Find the files to lint and guess their format from the name (the loader confirms from the content)."""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

FileKind = Literal["dockerfile", "compose", "yaml", "json"]

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "vendor", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".terraform", ".idea", ".vscode", "site-packages",
    ".kubelint_cache", ".eggs",
})

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Candidate:
    path: str
    """As displayed: relative to the working directory when inside it, else absolute."""
    kind: FileKind
    explicit: bool
    """Named on the command line: always linted, even when its name is unusual."""
    problem: str | None = None
    """Set when the path exists but cannot be linted (broken link, loop, not a regular file)."""
    fs_path: str = ""
    """Where to read it (absolute); the display path may be relative to a cwd that is not the process's."""

    @property
    def read_path(self) -> str:
        return self.fs_path or self.path


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    return (lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile."))
            or lower.endswith((".dockerfile", ".containerfile")))


def is_compose_name(name: str) -> bool:
    lower = name.lower()
    if not lower.endswith(YAML_SUFFIXES):
        return False
    stem = lower.rsplit(".", 1)[0]
    return (stem in ("compose", "docker-compose") or stem.startswith(("docker-compose.", "docker-compose-",
                                                                      "compose.")))


def classify_name(name: str) -> FileKind | None:
    if is_dockerfile_name(name):
        return "dockerfile"
    if is_compose_name(name):
        return "compose"
    lower = name.lower()
    if lower.endswith(YAML_SUFFIXES):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    return None


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    if not patterns:
        return False
    pure = PurePosixPath(rel)
    parts = pure.parts
    for pattern in patterns:
        pat = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pat) or pure.match(pat):
            return True
        # A bare name (or a glob without a slash) excludes that file or folder anywhere in the tree.
        if "/" not in pat and any(fnmatch.fnmatch(part, pat) for part in parts):
            return True
        if pat.endswith("/**") and (rel + "/").startswith(pat[:-2]):
            return True
    return False


def _link_problem(link: Path) -> str:
    """Why a symbolic link cannot be followed: a loop or a missing target."""
    try:
        os.stat(link)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"


def discover(paths: Iterable[str], exclude: Iterable[str] = (), cwd: Path | None = None) -> Iterator[Candidate]:
    """Yield lintable files under the given paths, in a stable order, each once."""
    cwd = cwd or Path.cwd()
    patterns = tuple(exclude)
    seen: set[str] = set()
    for raw in paths:
        root = Path(raw)
        if not root.is_absolute():
            root = cwd / root
        display = display_path(Path(os.path.normpath(root)), cwd)
        if root.is_symlink() and not root.exists():
            yield Candidate(display, classify_name(root.name) or "yaml", True, _link_problem(root), str(root))
            continue
        if root.is_dir():
            yield from _walk(Path(os.path.normpath(root)), cwd, patterns, seen)
            continue
        if not root.exists():
            yield Candidate(display, classify_name(root.name) or "yaml", True, "no such file or directory",
                            str(root))
            continue
        key = os.path.realpath(root)
        if key in seen:
            continue
        seen.add(key)
        if not root.is_file():
            yield Candidate(display, classify_name(root.name) or "yaml", True, "not a regular file", str(root))
            continue
        yield Candidate(display, classify_name(root.name) or "yaml", True, fs_path=str(root))


def _scan(directory: Path) -> tuple[list[str], list[str], OSError | None]:
    """Sorted (sub-folder names, other names) of a folder. Like os.walk(followlinks=False), a link to a
    folder counts as a folder but is never entered."""
    dirs: list[str] = []
    files: list[str] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else files).append(entry.name)
    except OSError as error:
        return [], [], error
    dirs.sort()
    files.sort()
    return dirs, files, None


def _walk(top: Path, cwd: Path, patterns: tuple[str, ...], seen: set[str]) -> Iterator[Candidate]:
    # An explicit stack, not os.walk: os.walk recurses on Python 3.11, so a pull request with a few
    # thousand nested folders would end the run with RecursionError.
    real_top = os.path.realpath(top)
    stack: list[Path] = [top]
    while stack:
        here = stack.pop()
        rel_dir = display_path(here, top) if here != top else ""
        dirnames, filenames, error = _scan(here)
        if error is not None:
            if here != top or not isinstance(error, FileNotFoundError):
                yield Candidate(display_path(here, cwd), "yaml", False,
                                f"folder cannot be listed: {error.strerror or error}", str(here))
            continue
        subdirs = [
            d for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and not _excluded(f"{rel_dir}/{d}".lstrip("/"), patterns)
            and not _excluded(display_path(here / d, cwd), patterns)
            and not (here / d).is_symlink()
        ]
        stack.extend(here / d for d in reversed(subdirs))
        for name in filenames:
            kind = classify_name(name)
            if kind is None:
                continue
            full = here / name
            display = display_path(full, cwd)
            if _excluded(f"{rel_dir}/{name}".lstrip("/"), patterns) or _excluded(display, patterns):
                continue
            if full.is_symlink():
                target = os.path.realpath(full)
                if not os.path.exists(target):
                    yield Candidate(display, kind, False, _link_problem(full), str(full))
                    continue
                # Links out of the linted tree are not followed: a PR must not make us read /etc.
                if os.path.commonpath([real_top, target]) != real_top:
                    continue
            key = os.path.realpath(full)
            if key in seen:
                continue
            seen.add(key)
            yield Candidate(display, kind, False, fs_path=str(full))
