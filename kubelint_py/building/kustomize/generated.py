"""Is a kustomization's missing input made by something in the repository?

A build input that is not in the repository is not certainly a mistake: many repositories write it with
a script before `kustomize build` (ingress-nginx renders a chart into `manifest.yaml` first), ignore it in
git because it is generated, or walk a reader through creating it in the folder's README. This module looks
for that evidence, never for guesses from folder names: a file that names the missing input, among
- `.gitignore` files of the kustomization's folder and the folders above it (up to the repository),
- build scripts (`*.sh`, `*.bash`, `*.py`, Makefiles, `*.mk`, Justfile, Taskfile) in those folders and in
  their `hack/`, `scripts/`, `script/`, `tools/` and `build/` folders (beside the kustomization by the
  file's name, elsewhere by its folder and name: `common/manifest.yaml`),
- Markdown files in the kustomization's own folder: a walk-through whose commands write the file (`cat >
  path`, `tee path`, `-o path`), by the path as the kustomization writes it.
Nothing is executed; every file read is bounded (size, count, bytes) and recorded for the replay cache.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from kubelint_py.core.regex import compile_linear

MAX_FILES = 200
"""Files read per missing input."""
MAX_BYTES = 4 * 1024 * 1024
"""Bytes read per missing input."""
MAX_FILE_BYTES = 1024 * 1024
"""A larger file is read only this far."""
MAX_LEVELS = 30
"""Folders above the kustomization examined."""
MAX_LISTING = 500
"""Names looked at per folder."""
MAX_BACKTRACKING_TEXT = 64 * 1024
"""Without RE2 (no wheel for the platform), the part of a walk-through searched with Python's `re`."""

SCRIPT_FOLDERS = ("hack", "scripts", "script", "tools", "build")
_SCRIPT_NAMES = frozenset({"makefile", "gnumakefile", "justfile", "taskfile.yml", "taskfile.yaml"})
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".mk")


@dataclass
class Evidence:
    path: str
    """Real path of the file that names the missing input."""
    how: str
    """What that file is: "ignored by", "written by", "created in the walk-through"."""
    line: int = 1
    """The line that names it."""
    named: str = ""
    """How it names it."""


@dataclass
class Search:
    read: list[str] = field(default_factory=list)
    """Real paths of the files read (their bytes decide the finding: the replay cache checks them)."""
    _budget: int = MAX_BYTES


def _mentions(text: str, name: str) -> int:
    """The line of `text` naming `name` (as a whole path word), 0 when none does."""
    found = re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text)
    return text.count("\n", 0, found.start()) + 1 if found is not None else 0


def _written(text: str, path: str) -> int:
    """The line of a walk-through that writes `path` (`cat > DIR/path <<EOF`, `tee path`, `-o path`), 0 if
    none: a README that only mentions the file is no evidence that it is made. Matched with RE2: with
    Python's backtracking `re`, `(?:\\S*/)?` made a README of a megabyte of `>` cost hours (quadratic)."""
    pattern = rf"(?:>>?|\btee(?:\s+-a)?|\s-o|--output[= ])\s*[\"']?(?:\S*/)?{re.escape(path)}(?:[^\w-]|$)"
    compiled = compile_linear(pattern)
    if compiled is None:  # pragma: no cover - google-re2 is a dependency; without it, a bounded text
        text = text[:MAX_BACKTRACKING_TEXT]
        found = re.search(pattern, text)
    else:
        found = compiled.search(text)
    return text.count("\n", 0, found.start()) + 1 if found is not None else 0


def _read(path: str, search: Search) -> str | None:
    if len(search.read) >= MAX_FILES or search._budget <= 0 or os.path.islink(path):
        return None  # a link may point anywhere on the machine: only the repository's own files are read
    try:
        with open(path, "rb") as handle:
            data = handle.read(min(MAX_FILE_BYTES, search._budget))
    except OSError:
        return None
    search._budget -= len(data)
    search.read.append(path)
    return data.decode("utf-8", errors="replace")


def _names(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            names: list[str] = []
            for entry in entries:
                if len(names) >= MAX_LISTING:
                    break
                names.append(entry.name)
    except OSError:
        return []
    return sorted(names)


def _is_script(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SCRIPT_NAMES or lowered.endswith(_SCRIPT_SUFFIXES)


def _ignored(text: str, folder: str, target: str) -> int:
    """Whether a .gitignore in `folder` names `target` (a plain name or a path pattern, as git matches
    them; negations and character classes are read literally: evidence, not git's exact answer)."""
    import fnmatch

    relative = os.path.relpath(target, folder).replace(os.sep, "/")
    name = os.path.basename(target)
    for number, line in enumerate(text.splitlines()[:5_000], 1):
        pattern = line.strip()
        if not pattern or pattern.startswith(("#", "!")):
            continue
        anchored = "/" in pattern.rstrip("/")
        pattern = pattern.strip("/")
        if anchored:
            if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, pattern + "/*"):
                return number
        elif fnmatch.fnmatchcase(name, pattern) or any(
                fnmatch.fnmatchcase(part, pattern) for part in relative.split("/")[:-1]):
            return number
    return 0


def find(folder: str, entry: str, boundary: str, search: Search | None = None) -> Evidence | None:
    """Evidence that `entry`, named by the kustomization in real folder `folder`, is made by something in
    the repository rooted at `boundary` (None when there is none)."""
    search = search if search is not None else Search()
    target = os.path.normpath(os.path.join(folder, entry))
    name = os.path.basename(target)
    if not name:
        return None
    for markdown in _names(folder):
        if markdown.lower().endswith(".md"):
            text = _read(os.path.join(folder, markdown), search)
            line = _written(text, entry.removeprefix("./")) if text is not None else 0
            if line:
                return Evidence(os.path.join(folder, markdown), "created in the walk-through", line,
                                entry.removeprefix("./"))
    current = folder
    for _ in range(MAX_LEVELS):
        names = _names(current)
        if ".gitignore" in names:
            text = _read(os.path.join(current, ".gitignore"), search)
            line = _ignored(text, current, target) if text is not None else 0
            if line:
                return Evidence(os.path.join(current, ".gitignore"), "ignored by", line,
                                text.splitlines()[line - 1].strip() if text is not None else "")
        scripts = [os.path.join(current, n) for n in names if _is_script(n)]
        for sub in SCRIPT_FOLDERS:
            if sub in names:
                scripts += [os.path.join(current, sub, n) for n in _names(os.path.join(current, sub)) if _is_script(n)]
        # A script beside the kustomization may name the file alone; one elsewhere must name its folder
        # too (`common/manifest.yaml`), so that a Makefile mentioning some `deployment.yaml` is no evidence.
        needle = name if current == folder else f"{os.path.basename(os.path.dirname(target))}/{name}"
        for script in scripts:
            if not os.path.isfile(script):
                continue
            text = _read(script, search)
            line = _mentions(text, needle) if text is not None else 0
            if line:
                return Evidence(script, "written by", line, needle)
        if current == boundary or os.path.dirname(current) == current:
            break
        if os.path.commonpath([boundary, current]) != boundary:
            break
        current = os.path.dirname(current)
    return None
