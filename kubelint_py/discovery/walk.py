"""Find the files to lint and guess their format from the name (the loader confirms from the content)."""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple

from kubelint_py.discovery.gitignore import GitIgnore, Level, ignored

FileKind = Literal["dockerfile", "compose", "yaml", "json"]

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "vendor", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".terraform", ".idea", ".vscode", "site-packages",
    ".kubelint_cache", ".eggs",
})

YAML_SUFFIXES = (".yaml", ".yml")


class Candidate(NamedTuple):
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


def discover(paths: Iterable[str], exclude: Iterable[str] = (), cwd: Path | None = None,
             seen: set[str] | None = None, *, respect_gitignore: bool = True) -> Iterator[Candidate]:
    """Yield lintable files under the given paths, in a stable order, each once.

    seen: real paths to skip (and to which the yielded files' real paths are added).
    respect_gitignore: inside a git work tree, skip what git ignores under the given folders (see
    gitignore.py); files named explicitly are always linted.
    """
    cwd = cwd or Path.cwd()
    patterns = tuple(exclude)
    seen = set() if seen is None else seen
    for raw in paths:
        root = Path(raw)
        if not root.is_absolute():
            root = cwd / root
        display = display_path(Path(os.path.normpath(root)), cwd)
        if root.is_symlink() and not root.exists():
            yield Candidate(display, classify_name(root.name) or "yaml", True, _link_problem(root), str(root))
            continue
        if root.is_dir():
            yield from _walk(Path(os.path.normpath(root)), cwd, patterns, seen, respect_gitignore)
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


def _scan(directory: str) -> tuple[list[str], list[str], set[str], OSError | None]:
    """Sorted (sub-folder names, other names) of a folder, and which of the others are links (known from
    the listing itself: no lstat per file). Links to folders are neither: like os.walk(followlinks=False)
    they are never entered."""
    dirs: list[str] = []
    files: list[str] = []
    links: set[str] = set()
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        dirs.append(entry.name)
                        continue
                    if entry.is_symlink():
                        if entry.is_dir():
                            continue
                        links.add(entry.name)
                except OSError:
                    links.add(entry.name)  # unknown: checked again below
                files.append(entry.name)
    except OSError as error:
        return [], [], set(), error
    dirs.sort()
    files.sort()
    return dirs, files, links, None


def _walk(top: Path, cwd: Path, patterns: tuple[str, ...], seen: set[str],
          respect_gitignore: bool = True) -> Iterator[Candidate]:
    # An explicit stack, not os.walk: os.walk recurses on Python 3.11, so a pull request with a few
    # thousand nested folders would end the run with RecursionError. Paths are plain strings and a
    # folder's real path is its parent's plus its name (links to folders are never entered): on a
    # 10,000-file tree, Path objects and a realpath per file made discovery cost as much as the rules.
    top_text = str(top)
    real_top = os.path.realpath(top)
    git = GitIgnore.for_folder(real_top) if respect_gitignore else None
    git_top = git.relative(real_top) if git is not None else ""
    start_levels: list[Level] = git.levels_above(real_top) if git is not None else []
    if start_levels and ignored(start_levels, git_top, True):
        start_levels = []  # a folder named on the command line is linted even when git ignores it
    # (folder, path relative to the walk's top, as displayed, real path, relative to the git top, ignore levels)
    stack: list[tuple[str, str, str, str, str, list[Level]]] = [
        (top_text, "", display_path(top, cwd), real_top, git_top, start_levels)]
    while stack:
        dirpath, rel_dir, shown_dir, real_dir, git_dir, levels = stack.pop()
        dirnames, filenames, links, error = _scan(dirpath)
        if error is not None:
            if dirpath != top_text or not isinstance(error, FileNotFoundError):
                yield Candidate(shown_dir, "yaml", False, f"folder cannot be listed: {error.strerror or error}",
                                dirpath)
            continue
        if git is not None and (".gitignore" in filenames or git_dir == ""):
            spec = git.spec_of(git_dir, ".gitignore" in filenames)
            if spec is not None:
                levels = [*levels, (git_dir, spec)]
        git_prefix = f"{git_dir}/" if git_dir else ""
        children: list[tuple[str, str, str, str, str, list[Level]]] = []
        for d in dirnames:
            if d in SKIP_DIRS or d.endswith(".egg-info"):
                continue
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if os.path.isabs(shown_dir):  # outside the working folder: the child may be back inside it
                shown = display_path(Path(dirpath, d), cwd)
            else:
                shown = d if shown_dir == "." else f"{shown_dir}/{d}"
            if patterns and (_excluded(rel, patterns) or _excluded(shown, patterns)):
                continue
            if levels and ignored(levels, git_prefix + d, True):
                continue
            children.append((os.path.join(dirpath, d), rel, shown, os.path.join(real_dir, d), git_prefix + d, levels))
        stack.extend(reversed(children))
        for name in filenames:
            kind = classify_name(name)
            if kind is None:
                continue
            if levels and ignored(levels, git_prefix + name, False):
                continue
            full = f"{dirpath}/{name}" if os.sep == "/" and not dirpath.endswith("/") else os.path.join(dirpath, name)
            display = name if shown_dir == "." else f"{shown_dir}/{name}"
            if patterns and (_excluded(f"{rel_dir}/{name}".lstrip("/"), patterns) or _excluded(display, patterns)):
                continue
            if name in links and os.path.islink(full):
                target = os.path.realpath(full)
                if not os.path.exists(target):
                    yield Candidate(display, kind, False, _link_problem(Path(full)), full)
                    continue
                # Links out of the linted tree are not followed: a PR must not make us read /etc.
                if os.path.commonpath([real_top, target]) != real_top:
                    continue
                key = target
            else:
                key = f"{real_dir}/{name}" if os.sep == "/" and not real_dir.endswith("/") \
                    else os.path.join(real_dir, name)
            if key in seen:
                continue
            seen.add(key)
            yield Candidate(display, kind, False, fs_path=full)
