"""Docker Compose files: services and the top-level volumes, networks, secrets and configs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.core.lazy import cached_attribute
from kubelint_py.core.source import Location, Span
from kubelint_py.models.located import YList, YMap

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, $VAR; `$$` is a literal $.
# A `${` is closed by the next `}` before another `$`: a nested default (`${A:-${B}}`) is still found
# through its inner reference, and `${${${...` is one linear scan (it was quadratic: each `${` scanned to the
# end of the value).
_INTERPOLATION = re.compile(r"\$(?:\{[^}$]*\}|[A-Za-z_][A-Za-z0-9_]*)")


def is_interpolated(value: Any) -> bool:
    """True when a value contains a `${VAR}`-style reference whose runtime value we cannot know."""
    if not isinstance(value, str) or "$" not in value:
        return False
    return _INTERPOLATION.search(value.replace("$$", "")) is not None


def unescape_dollars(value: str) -> str:
    return value.replace("$$", "$")


@dataclass(frozen=True, eq=False)
class ComposeService:
    file: ComposeFile
    name: str
    data: YMap

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def image(self) -> str | None:
        value = self.data.get("image")
        return None if value is None else str(value)

    @property
    def build(self) -> YMap | str | None:
        value = self.data.get("build")
        return value if isinstance(value, YMap | str) else None

    @property
    def location(self) -> Location:
        """The service's key line."""
        services = self.file.data.get_map("services")
        if services is not None:
            return Location.of(self.path, services.key_span(self.name))
        return Location.of(self.path, self.data.span)

    def at(self, key: str, *, on_key: bool = False) -> Location:
        if key not in self.data:
            return self.location
        span = self.data.key_span(key) if on_key else self.data.value_span(key)
        return Location.of(self.path, span)

    def item_at(self, key: str, index: int) -> Location:
        items = self.data.get(key)
        if isinstance(items, YList):
            return Location.of(self.path, items.item_span(index))
        return self.at(key)

    def get_map(self, key: str) -> YMap | None:
        return self.data.get_map(key)

    def get_list(self, key: str) -> YList | None:
        return self.data.get_list(key)

    @cached_attribute
    def environment(self) -> dict[str, tuple[str | None, Span]]:
        """`environment:` as name -> (value or None when only the name is given, span of the value)."""
        env = self.data.get("environment")
        result: dict[str, tuple[str | None, Span]] = {}
        if isinstance(env, YMap):
            for key, value in env.items():
                result[str(key)] = (None if value is None else str(value), env.value_span(key))
        elif isinstance(env, YList):
            for index, item in enumerate(env):
                text = str(item)
                name, sep, value = text.partition("=")
                result[name] = (value if sep else None, env.item_span(index))
        return result

    @property
    def profiles(self) -> tuple[str, ...]:
        found = self.data.get_list("profiles")
        return tuple(str(p) for p in found) if found is not None else ()


@dataclass(frozen=True, eq=False)
class ComposeFile:
    path: str
    data: YMap
    text: str = field(default="", repr=False)
    """The source text (to tell quoted from plain scalars)."""
    bases: list[str] = field(default_factory=list, repr=False)
    """Absolute folders relative paths in the file may resolve against: its own first, then the folder
    of the base file it is layered on (filled by the loader; see compose_files.py)."""
    fs_path: str = field(default="", repr=False)
    """Absolute path on disk (path is the display form, relative to lint()'s cwd)."""
    probed: dict[str, str] = field(default_factory=dict, repr=False)
    """Absolute path -> 'file', 'dir' or 'missing' for the paths the file names (build contexts,
    Dockerfiles, env_files), filled by the loader so rules need no I/O."""

    @property
    def disk_path(self) -> str:
        return self.fs_path or os.path.abspath(self.path)

    @cached_attribute
    def services(self) -> dict[str, ComposeService]:
        found = self.data.get_map("services")
        if found is None:
            return {}
        return {str(name): ComposeService(self, str(name), body)
                for name, body in found.items() if isinstance(body, YMap)}

    def top_level(self, section: str) -> YMap:
        """volumes, networks, secrets or configs (empty when absent)."""
        found = self.data.get_map(section)
        return found if found is not None else YMap(self.data.span)

    def at(self, node: YMap | YList, key: Any = None, *, on_key: bool = False) -> Location:
        if key is None:
            return Location.of(self.path, node.span)
        if isinstance(node, YMap):
            return Location.of(self.path, node.key_span(key) if on_key else node.value_span(key))
        return Location.of(self.path, node.item_span(key) if isinstance(key, int) else node.span)

    @property
    def location(self) -> Location:
        return Location.of(self.path, self.data.span)


# --- which files make a project (docker compose's naming rules; see building/compose_project.py) -------

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_NAMES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")
ANCESTOR_LEVELS = 3
"""How far up a layer file looks for the base project it is layered on."""


def abs_key(path: str) -> str:
    """The key files are known by: absolute and normalised (display paths are relative to the cwd)."""
    return os.path.normpath(os.path.abspath(path))


def file_key(compose: ComposeFile) -> str:
    """The key a compose file is known by: its absolute path on disk."""
    return os.path.normpath(compose.disk_path)


def file_role(path: str) -> str:
    """base, override or layer, from the file name."""
    name = os.path.basename(path).lower()
    if name in BASE_NAMES:
        return "base"
    if name in OVERRIDE_NAMES:
        return "override"
    return "layer"


def include_paths(compose: ComposeFile) -> list[str]:
    """The files named by top-level `include`, as absolute paths (interpolated ones skipped)."""
    include = compose.data.get("include")
    if not isinstance(include, YList):
        return []
    folder = os.path.dirname(file_key(compose))
    names: list[str] = []
    for item in include:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, YMap):
            path = item.get("path")
            if isinstance(path, str):
                names.append(path)
            elif isinstance(path, YList):
                names.extend(str(p) for p in path)
    return [os.path.normpath(os.path.join(folder, n)) for n in names if not is_interpolated(n)
            and "://" not in n]
