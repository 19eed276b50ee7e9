"""The files a compose file names: build contexts, Dockerfiles, env_files, base and included files.

Two halves. Pure helpers (build_paths, env_files, path_state, dockerfile_of) read a ComposeFile and what
the loader recorded; rules use them. The I/O half runs before the rules: probe_compose_paths (called by
the loader) records which named paths exist, and related_candidates (called by api.lint) finds the
Dockerfiles that compose builds and the compose files a linted file is merged with, so they are loaded
even when discovery would not find them by name.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kubelint_py.core.source import Span
from kubelint_py.models.compose import (
    ANCESTOR_LEVELS,
    BASE_NAMES,
    OVERRIDE_NAMES,
    ComposeFile,
    file_key,
    file_role,
    include_paths,
    is_interpolated,
)
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.discovery.walk import Candidate

    class LoadedFile(Protocol):
        """What related_candidates reads of a loaded file (loading.source_file.SourceFile, which imports this
        module to probe the paths a compose file names)."""

        @property
        def path(self) -> str: ...

        @property
        def fs_path(self) -> str | None: ...

        @property
        def compose(self) -> ComposeFile | None: ...

        @property
        def companion(self) -> bool: ...

DEFAULT_DOCKERFILES = ("Dockerfile", "dockerfile")


def is_remote(reference: str) -> bool:
    """A git URL or remote tarball used as a build context: nothing to check on disk."""
    lower = reference.lower()
    return "://" in lower or lower.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/"))


def is_unknowable(value: Any) -> bool:
    return not isinstance(value, str) or is_interpolated(value) or is_remote(value)


@dataclass(frozen=True, slots=True)
class BuildPaths:
    context: str
    """As written ('.' when only `dockerfile:` is given)."""
    dockerfile: str | None
    """As written, relative to the context; None for the default (Dockerfile)."""
    inline: bool
    """dockerfile_inline: no file to find."""


def build_paths(data: YMap) -> BuildPaths | None:
    """A service's build context and Dockerfile, None when it has no build or they are unknowable."""
    build = data.get("build")
    if isinstance(build, str):
        return None if is_unknowable(build) else BuildPaths(build, None, False)
    if not isinstance(build, YMap):
        return None
    context = build.get("context", ".")
    if context is None:
        context = "."
    if is_unknowable(context):
        return None
    dockerfile = build.get("dockerfile")
    if dockerfile is not None and not isinstance(dockerfile, str):
        return None
    return BuildPaths(str(context), dockerfile, "dockerfile_inline" in build)


def dockerfile_names(paths: BuildPaths) -> list[str]:
    """Paths (relative to the compose folder) where the Dockerfile may be; empty when unknowable."""
    if paths.inline:
        return []
    if paths.dockerfile is None:
        return [posixpath.join(paths.context, name) for name in DEFAULT_DOCKERFILES]
    if is_interpolated(paths.dockerfile):
        return []
    if posixpath.isabs(paths.dockerfile):
        return [paths.dockerfile]
    return [posixpath.join(paths.context, paths.dockerfile)]


@dataclass(frozen=True, slots=True)
class EnvFile:
    path: str
    required: bool
    span: Span


def env_files(data: YMap) -> list[EnvFile]:
    """`env_file:` as a string, a list of strings, or a list of {path, required}."""
    node = data.get("env_file")
    found: list[EnvFile] = []
    if isinstance(node, str):
        found.append(EnvFile(node, True, data.value_span("env_file")))
    elif isinstance(node, YList):
        for index, item in enumerate(node):
            if isinstance(item, str):
                found.append(EnvFile(item, True, node.item_span(index)))
            elif isinstance(item, YMap) and isinstance(item.get("path"), str):
                required = item.get("required", True)
                found.append(EnvFile(item["path"], required is not False and str(required).lower() != "false",
                                     item.value_span("path")))
    return [e for e in found if not is_interpolated(e.path)]


def candidates(compose: ComposeFile, relative: str) -> list[str]:
    """Absolute paths a relative path in this file may mean (its own folder first)."""
    expanded = relative
    if expanded.startswith("~"):
        return []
    if os.path.isabs(expanded):
        return [os.path.normpath(expanded)]
    bases = compose.bases or [os.path.dirname(file_key(compose))]
    return [os.path.normpath(os.path.join(base, expanded)) for base in bases]


def path_state(compose: ComposeFile, relative: str) -> str | None:
    """'file' or 'dir' when found under any base, 'missing' when probed and found nowhere, None when
    it was not probed (then rules stay silent)."""
    states = [compose.probed.get(path) for path in candidates(compose, relative)]
    for state in states:
        if state in ("file", "dir"):
            return state
    if states and all(state == "missing" for state in states):
        return "missing"
    return None


def found_path(compose: ComposeFile, relative: str) -> str | None:
    """The absolute path found for a relative path, if the loader saw it exist."""
    for path in candidates(compose, relative):
        if compose.probed.get(path) in ("file", "dir"):
            return path
    return None


def dockerfile_of(compose: ComposeFile, data: YMap) -> str | None:
    """The absolute path of the Dockerfile this service builds, when it exists."""
    paths = build_paths(data)
    if paths is None:
        return None
    for name in dockerfile_names(paths):
        found = found_path(compose, name)
        if found is not None and compose.probed.get(found) == "file":
            return found
    return None


# --- I/O: run by the loader and api.lint, never by rules -------------------------------------------


def _state(path: str) -> str:
    if os.path.isfile(path):
        return "file"
    if os.path.isdir(path):
        return "dir"
    return "missing"


def _anchor_dirs(path: str) -> list[str]:
    """For a layer file (absolute path): the folder (its own, or up to ANCESTOR_LEVELS up) holding a
    base file."""
    directory = os.path.dirname(path)
    found: list[str] = []
    for _ in range(ANCESTOR_LEVELS + 1):
        if any(os.path.isfile(os.path.join(directory, name)) for name in BASE_NAMES):
            found.append(directory)
            break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return found


def probe_compose_paths(compose: ComposeFile) -> None:
    """Record which paths named by the file exist (so rules can tell without I/O)."""
    own = os.path.dirname(file_key(compose))
    compose.bases.append(own)
    if file_role(compose.path) == "layer":
        compose.bases.extend(d for d in _anchor_dirs(file_key(compose)) if d != own)
    wanted: list[str] = []
    for service in compose.services.values():
        paths = build_paths(service.data)
        if paths is not None:
            wanted.append(paths.context)
            wanted.extend(dockerfile_names(paths))
        wanted.extend(e.path for e in env_files(service.data))
    for relative in wanted:
        for path in candidates(compose, relative):
            if path not in compose.probed:
                compose.probed[path] = _state(path)


def _companion_paths(compose: ComposeFile) -> Iterator[str]:
    """Compose files this one is merged with or refers to."""
    directory = os.path.dirname(file_key(compose))
    role = file_role(compose.path)
    for name in (*BASE_NAMES, *OVERRIDE_NAMES):
        yield os.path.join(directory, name)
    if role == "layer":
        for anchor in compose.bases[1:]:
            for name in BASE_NAMES:
                yield os.path.join(anchor, name)
        # Sibling layers (extensions meant to be combined with this one).
        for name in _layer_names(directory):
            yield os.path.join(directory, name)
    yield from include_paths(compose)
    for service in compose.services.values():
        extends = service.data.get("extends")
        if isinstance(extends, YMap) and isinstance(extends.get("file"), str) \
                and not is_interpolated(extends["file"]):
            yield os.path.normpath(os.path.join(directory, extends["file"]))


def _layer_names(directory: str) -> tuple[str, ...]:
    """The compose-like file names in a folder (the layers a layer file may be combined with)."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        names = []
    return tuple(name for name in names
                 if "compose" in name.lower() and name.lower().endswith((".yaml", ".yml")))


def disk_facts(compose: ComposeFile) -> list[tuple[str, Any, Any]]:
    """What this file's model and the files loaded with it depend on besides its bytes, as
    (kind, subject, expected) for the whole-run cache (cache/replay.py): the state of every path it
    names (probed by the loader), of every companion file it may be merged with, and for a layer file
    the folders it anchors to and its sibling layers. `fact_holds` checks one again."""
    facts: list[tuple[str, Any, Any]] = [("state", path, state) for path, state in compose.probed.items()]
    if file_role(compose.path) == "layer":
        key = file_key(compose)
        facts.append(("anchors", key, tuple(_anchor_dirs(key))))
        facts.append(("layers", os.path.dirname(key), _layer_names(os.path.dirname(key))))
    for path in _companion_paths(compose):
        normal = os.path.normpath(path)
        facts.append(("state", normal, _state(normal)))
    return facts


def fact_holds(kind: str, subject: Any, expected: Any) -> bool:
    """Whether a fact from disk_facts is still true (False for a kind this module does not know)."""
    if kind == "state":
        return bool(_state(subject) == expected)
    if kind == "anchors":
        return bool(tuple(_anchor_dirs(subject)) == expected)
    if kind == "layers":
        return bool(_layer_names(subject) == expected)
    return False


def related_candidates(files: Iterable[LoadedFile], exclude: tuple[str, ...],
                       cwd: Path) -> Iterator[tuple[Candidate, bool]]:
    """(candidate, companion) for files the linted compose files need but discovery did not yield:
    compose files they are merged with (companions: loaded for context, not reported) and the
    Dockerfiles they build (linted like any other file)."""
    from kubelint_py.discovery.walk import Candidate, _excluded, display_path

    loaded = {os.path.normpath(f.fs_path or os.path.abspath(f.path)) for f in files}
    for source in files:
        compose = source.compose
        if compose is None:
            continue
        wanted: list[tuple[str, bool]] = [(p, True) for p in _companion_paths(compose)]
        for service in compose.services.values() if not source.companion else ():
            dockerfile = dockerfile_of(compose, service.data)
            if dockerfile is not None:
                wanted.append((dockerfile, False))
        for path, companion in wanted:
            key = os.path.normpath(path)
            if key in loaded or not os.path.isfile(key):
                continue
            loaded.add(key)
            display = display_path(Path(key), cwd)
            if _excluded(display, exclude):
                continue
            yield Candidate(display, "compose" if companion else "dockerfile", not companion, fs_path=key), companion
