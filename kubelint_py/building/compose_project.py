"""Compose projects: the files `docker compose` reads together, merged the way it merges them.

A project is a base file (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml) plus the
first override file of its folder (compose.override.yml, ...). Other compose files in a folder
(`compose.full.yaml`, `extensions/x/x-compose.yml`) are *layers*: they are meant to be passed after the
base with `-f`, so they are merged on top of the nearest base project (same folder or an ancestor).
`extends` (same file or another linted file) and `include` are followed.

Merging follows the Compose Specification (merge.md): mappings merge key by key; command, entrypoint and
healthcheck.test are replaced; environment, labels, extra_hosts, sysctls, build.args, depends_on and
networks merge by name whatever their form (list or mapping); volumes, secrets, configs and devices merge
by target; other sequences (ports, expose, dns, cap_add...) are appended without duplicates; `!reset`
removes a value set by earlier files and `!override` replaces it instead of merging.

Pure: works on the ComposeFile models of the index; no I/O. Every merged value keeps the path of the
file it came from, so a finding points at the file and line that actually holds the value.
"""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubelint_py.core.findings import Incomplete
from kubelint_py.core.source import Location, Span
from kubelint_py.models.compose import (
    ANCESTOR_LEVELS,
    BASE_NAMES,
    OVERRIDE_NAMES,
    ComposeFile,
    ComposeService,
    abs_key,
    file_key,
    file_role,
    include_paths,
    is_interpolated,
)
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.engine.index import ProjectIndex
    from kubelint_py.engine.registry import Violation

SECTIONS = ("networks", "volumes", "secrets", "configs")
_REPLACED = frozenset({("command",), ("entrypoint",), ("healthcheck", "test")})
_BY_NAME = frozenset({("environment",), ("labels",), ("annotations",), ("extra_hosts",), ("sysctls",),
                      ("build", "args"), ("build", "labels"), ("depends_on",), ("networks",), ("links",),
                      ("ulimits",)})
_BY_TARGET = frozenset({("volumes",), ("secrets",), ("configs",), ("devices",)})


TagLookup = Callable[[str, Span], "str | None"]
"""(file path, value span) -> 'reset' or 'override' when the value carries that YAML tag."""


class MergedMap(YMap):
    """A mapping built from several files: key_paths says which file each key (and value) came from."""

    __slots__ = ("key_paths", "layer")

    def __init__(self, span: Span) -> None:
        super().__init__(span)
        self.key_paths: MutableMapping[Any, str] = {}
        self.layer: tuple[YMap, str] | None = None
        """For a map layered on another (see _layer_map): that map and the file it is written in. The
        entries this map sets itself are the keys of key_paths.maps[0]."""


class _SamePath(Mapping[Any, str]):
    """key_paths of a mapping written in one file: every key -> that file (without a dict per copy)."""

    def __init__(self, node: YMap, path: str) -> None:
        self.node, self.path = node, path

    def __getitem__(self, key: Any) -> str:
        if key in self.node:
            return self.path
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key in self.node

    def __iter__(self) -> Iterator[Any]:
        return iter(self.node)

    def __len__(self) -> int:
        return len(self.node)


class MergedList(YList):
    """A sequence built from several files: item_paths says which file each item came from."""

    __slots__ = ("item_paths",)

    def __init__(self, span: Span) -> None:
        super().__init__(span)
        self.item_paths: list[str] = []


MAX_MERGED_ENTRIES = 10_000_000
"""Entries copied while merging the services of a run (extends bases, override files). Real projects
copy a few thousand; 3,000 services each adding a variable to a base of 3,000 copy 9 million (350 MB:
the copies share the base's spans and paths, see _layer_map; they were 1.3 GB). A 10 MB compose file
could ask for billions: past the budget, the services not merged yet are left out of the projects (a
KL013 says which), their project rules are not run rather than judged on half-merged data."""


@dataclass
class MergeCost:
    """Entries copied so far by merges (the budget above), and the list-form environments of bases
    already read as mappings (each once, however many services extend it)."""

    entries: int = 0
    as_maps: dict[int, tuple[YList, MergedMap]] = field(default_factory=dict)


def _lift_map(node: YMap, path: str, cost: MergeCost | None = None) -> MergedMap:
    if cost is not None:
        cost.entries += len(node)
    if isinstance(node, MergedMap):
        return _copy_map(node)
    out = MergedMap(node.span)
    out.update(node)
    out.key_spans = dict(node.key_spans)
    out.value_spans = dict(node.value_spans)
    out.key_paths = dict.fromkeys(node, path)
    return out


def _layer_map(node: YMap, path: str, cost: MergeCost | None) -> MergedMap:
    """A copy of an environment-like mapping (merged by name) to merge a service's own entries onto: its
    entries are copied (a C-level dict copy), its spans and paths are not: they are looked up through the
    mapping it was made from (a ChainMap), so that 3,000 services adding a variable to a base of 3,000 hold
    3,000 entries each, not 4 dicts of them; `layer` lets rules tell inherited entries from its own."""
    if cost is not None:
        cost.entries += len(node)
    out = MergedMap(node.span)
    out.update(node)
    out.key_spans = ChainMap({}, node.key_spans)  # type: ignore[assignment]
    out.value_spans = ChainMap({}, node.value_spans)  # type: ignore[assignment]
    parent: Mapping[Any, str] = node.key_paths if isinstance(node, MergedMap) else _SamePath(node, path)
    out.key_paths = ChainMap({}, parent)  # type: ignore[arg-type]  # read-only below the first map
    out.layer = (node, path)
    return out


def _copy_map(node: MergedMap) -> MergedMap:
    out = MergedMap(node.span)
    out.update(node)
    out.key_spans = dict(node.key_spans)
    out.value_spans = dict(node.value_spans)
    out.key_paths = dict(node.key_paths)
    return out


def _lift_list(node: YList, path: str, cost: MergeCost | None = None) -> MergedList:
    if cost is not None:
        cost.entries += len(node)
    out = MergedList(node.span)
    out.extend(node)
    out.item_spans = [node.item_span(i) for i in range(len(node))]
    out.item_paths = list(node.item_paths) if isinstance(node, MergedList) else [path] * len(node)
    return out


def _list_to_map(node: YList, path: str, field_path: tuple[str, ...], cost: MergeCost | None = None) -> MergedMap:
    """`[A=b, C]` (environment-like) or `[a, b]` (depends_on, networks) as a mapping by name."""
    if cost is not None:
        cost.entries += len(node)
    out = MergedMap(node.span)
    paths = node.item_paths if isinstance(node, MergedList) else [path] * len(node)
    for index, item in enumerate(node):
        if isinstance(item, YMap):  # ulimits-like odd forms: keep by position
            key: Any = str(index)
            value: Any = item
        else:
            text = str(item)
            separator = ":" if field_path == ("extra_hosts",) and "=" not in text else "="
            if field_path in (("depends_on",), ("networks",), ("links",)):
                key, value = text, None
            else:
                name, sep, rest = text.partition(separator)
                key, value = name.strip(), (rest if sep else None)
        out[key] = value
        out.key_spans[key] = node.item_span(index)
        out.value_spans[key] = node.item_span(index)
        out.key_paths[key] = paths[index]
    return out


def _as_map(node: YList, path: str, field_path: tuple[str, ...], cost: MergeCost | None) -> MergedMap:
    """_list_to_map, once per list (the result is only layered on, never changed)."""
    if cost is None:
        return _list_to_map(node, path, field_path)
    found = cost.as_maps.get(id(node))
    if found is None or found[0] is not node:
        found = cost.as_maps[id(node)] = (node, _list_to_map(node, path, field_path, cost))
    return found[1]


def target_of(item: Any, field_path: tuple[str, ...]) -> str:
    """The unique key of a volumes/secrets/configs/devices entry (its target), in short or long form."""
    if isinstance(item, YMap):
        if "target" in item:
            return str(item["target"])
        if field_path in (("secrets",), ("configs",)):
            return str(item.get("source"))
        return str(dict(item))
    text = str(item)
    if field_path in (("secrets",), ("configs",)):
        return text
    parts = split_volume(text)
    return parts[1] if len(parts) > 1 else parts[0]


def split_volume(text: str) -> list[str]:
    """`src:dst[:mode]` split on colons, keeping a Windows drive letter (`C:\\x`) with its path."""
    parts = text.split(":")
    if len(parts) > 1 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in ("\\", "/"):
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    return parts


def _merge_value(field_path: tuple[str, ...], base: Any, base_path: str, over: Any, over_path: str,
                 tags: TagLookup | None, cost: MergeCost | None) -> Any:
    if field_path in _REPLACED:
        return over
    if field_path in _BY_NAME and isinstance(base, YMap | YList) and isinstance(over, YMap | YList):
        left = _layer_map(_as_map(base, base_path, field_path, cost) if isinstance(base, YList) else base,
                          base_path, cost)
        right = _list_to_map(over, over_path, field_path, cost) if isinstance(over, YList) else over
        return _merge_maps(field_path, left, right, over_path, tags, cost)
    if isinstance(base, YMap) and isinstance(over, YMap):
        return _merge_maps(field_path, _lift_map(base, base_path, cost), over, over_path, tags, cost)
    if isinstance(base, YList) and isinstance(over, YList):
        return _merge_lists(field_path, _lift_list(base, base_path, cost), over, over_path)
    return over


def _merge_maps(field_path: tuple[str, ...], base: MergedMap, over: YMap, over_path: str,
                tags: TagLookup | None, cost: MergeCost | None = None) -> MergedMap:
    over_paths = over.key_paths if isinstance(over, MergedMap) else None
    for key, value in over.items():
        path = over_paths.get(key, over_path) if over_paths is not None else over_path
        tag = tags(path, over.value_span(key)) if tags is not None and key in base else None
        if tag == "reset":  # `key: !reset ...` removes what earlier files set
            del base[key]
            base.key_spans.pop(key, None)
            base.value_spans.pop(key, None)
            base.key_paths.pop(key, None)
            continue
        if key in base and value is None and isinstance(base[key], YMap | YList):
            continue  # `networks: {front: }` adds nothing to an entry the base already details
        if key in base and value is not None and tag != "override":
            merged = _merge_value((*field_path, str(key)), base[key], base.key_paths.get(key, path), value, path,
                                  tags, cost)
        else:
            merged = value
        base[key] = merged
        base.key_spans[key] = over.key_span(key)
        base.value_spans[key] = over.value_span(key)
        base.key_paths[key] = path
    return base


def _merge_lists(field_path: tuple[str, ...], base: MergedList, over: YList, over_path: str) -> MergedList:
    over_paths = over.item_paths if isinstance(over, MergedList) else [over_path] * len(over)
    if field_path in _BY_TARGET:
        positions = {target_of(item, field_path): i for i, item in enumerate(base)}
        for index, item in enumerate(over):
            key = target_of(item, field_path)
            if key in positions:
                at = positions[key]
                base[at] = item
                base.item_spans[at] = over.item_span(index)
                base.item_paths[at] = over_paths[index]
            else:
                positions[key] = len(base)
                base.append(item)
                base.item_spans.append(over.item_span(index))
                base.item_paths.append(over_paths[index])
        return base
    seen = {_identity(item) for item in base}
    for index, item in enumerate(over):
        identity = _identity(item)
        if identity in seen:
            continue
        seen.add(identity)
        base.append(item)
        base.item_spans.append(over.item_span(index))
        base.item_paths.append(over_paths[index])
    return base


def _identity(item: Any) -> str:
    if isinstance(item, YMap):
        return repr(sorted((str(k), repr(v)) for k, v in item.items()))
    return repr(item)


def merge_service_data(base: YMap, base_path: str, over: YMap, over_path: str,
                       tags: TagLookup | None = None, cost: MergeCost | None = None) -> MergedMap:
    """The definition of one service after `over` (from over_path) is merged onto `base`; cost counts the
    entries copied."""
    return _merge_maps((), _lift_map(base, base_path, cost), over, over_path, tags, cost)


@dataclass(eq=False)
class MergedService:
    """One service as `docker compose config` would show it, with every value located in its file."""

    name: str
    data: MergedMap
    sources: list[ComposeService]
    """The per-file definitions merged into it (extends bases excluded), in merge order."""
    project: ComposeProject | None = None

    @property
    def location(self) -> Location:
        return self.sources[0].location

    @property
    def files(self) -> list[ComposeFile]:
        return [s.file for s in self.sources]

    def locate(self, path: Iterable[Any], *, on_key: bool = False) -> Location:
        """Where the value (or key) at `path` below the service is written, in the file that holds it."""
        steps = list(path)
        node: Any = self.data
        file_path = self.sources[0].path
        span: Span | None = None
        for depth, step in enumerate(steps):
            last = depth == len(steps) - 1
            if isinstance(node, YMap) and step in node:
                if isinstance(node, MergedMap):
                    file_path = node.key_paths.get(step, file_path)
                span = node.key_span(step) if (on_key and last) else node.value_span(step)
                node = node[step]
            elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
                if isinstance(node, MergedList):
                    file_path = node.item_paths[step]
                span = node.item_span(step)
                node = node[step]
            else:
                break
        if span is None:
            return self.location
        return Location.of(file_path, span)

    def at(self, key: str, *, on_key: bool = False) -> Location:
        return self.locate((key,), on_key=on_key)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def image(self) -> str | None:
        value = self.data.get("image")
        return None if value is None else str(value)

    @property
    def profiles(self) -> tuple[str, ...]:
        found = self.data.get_list("profiles")
        return tuple(str(p) for p in found) if found is not None else ()

    def environment(self) -> Iterator[tuple[str, str | None, Location]]:
        """(name, value or None, location of the value) for each environment entry."""
        env = self.data.get("environment")
        if isinstance(env, YMap):
            for key, value in env.items():
                yield str(key), None if value is None else str(value), self.locate(("environment", key))
        elif isinstance(env, YList):
            for index, item in enumerate(env):
                name, sep, value = str(item).partition("=")
                yield name, value if sep else None, self.locate(("environment", index))


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    location: Location


@dataclass(eq=False)
class ComposeProject:
    files: list[ComposeFile]
    """In merge order: base, override (or the layer file last)."""
    services: dict[str, MergedService] = field(default_factory=dict)
    definitions: dict[str, dict[str, Definition]] = field(default_factory=dict)
    """networks/volumes/secrets/configs -> name -> where it is first defined."""

    @property
    def name(self) -> str:
        return self.files[-1].path


@dataclass(eq=False)
class Scope:
    """The names a file's references may use."""

    services: set[str] = field(default_factory=set)
    sections: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SECTIONS})
    has_includes_outside: bool = False
    """An `include` names a file that is not linted: its definitions are unknown."""


class ComposeModel:
    """Every compose file of a run grouped into projects. Built once per index (see compose_model)."""

    def __init__(self, files: Iterable[ComposeFile]) -> None:
        self.files: dict[str, ComposeFile] = {}
        self._display_key: dict[str, str] = {}
        for compose in files:
            self.files.setdefault(file_key(compose), compose)
            self._display_key.setdefault(compose.path, file_key(compose))
        self.by_dir: dict[str, list[ComposeFile]] = {}
        for key, compose in self.files.items():
            self.by_dir.setdefault(os.path.dirname(key), []).append(compose)
        self._resolved: dict[tuple[str, str], MergedMap | None] = {}
        self._scopes: dict[str, Scope] = {}
        self.projects: list[ComposeProject] = []
        self._project_of: dict[str, ComposeProject] = {}
        self._fragments: dict[str, bool] = {}
        self._lines: dict[str, list[str]] = {}
        self.cost = MergeCost()
        self.cut: dict[tuple[str, str], ComposeService] = {}
        """(file key, service name) -> the service left out of the projects by MAX_MERGED_ENTRIES."""
        self.cut_reported = False
        self._build_projects()

    def tag_at(self, path: str, span: Span) -> str | None:
        """'reset' or 'override' when the value at span is tagged `!reset` / `!override` (the loader
        keeps no tags on collections, so the text is read: the span starts at the tag)."""
        key = self.key_of_display(path)
        lines = self._lines.get(key)
        if lines is None:
            compose = self.files.get(key)
            lines = compose.text.splitlines() if compose is not None else []
            self._lines[key] = lines
        if not 0 < span.line <= len(lines):
            return None
        rest = lines[span.line - 1][span.column - 1:]
        if rest.startswith("!reset"):
            return "reset"
        if rest.startswith("!override"):
            return "override"
        return None

    # --- grouping ----------------------------------------------------------------------------

    def default_files(self, directory: str) -> list[ComposeFile]:
        """The base file and its override in a folder, as `docker compose` picks them with no -f."""
        present = {os.path.basename(file_key(c)).lower(): c for c in self.by_dir.get(directory, [])}
        chosen: list[ComposeFile] = []
        for name in BASE_NAMES:
            if name in present:
                chosen.append(present[name])
                break
        for name in OVERRIDE_NAMES:
            if name in present:
                chosen.append(present[name])
                break
        return chosen

    def anchor_files(self, compose: ComposeFile) -> list[ComposeFile]:
        """The default project a layer file is layered on: its folder's, or the nearest ancestor's."""
        directory = os.path.dirname(file_key(compose))
        for _ in range(ANCESTOR_LEVELS + 1):
            found = [c for c in self.default_files(directory) if c is not compose and file_role(c.path) == "base"]
            if found:
                return found
            parent = os.path.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return []

    def _build_projects(self) -> None:
        for directory in sorted(self.by_dir):
            defaults = self.default_files(directory)
            if defaults:
                project = self._make_project(defaults)
                for compose in defaults:
                    self._project_of[file_key(compose)] = project
            for compose in sorted(self.by_dir[directory], key=lambda c: c.path):
                if compose in defaults:
                    continue
                # A fragment layer (or a lone override) goes on top of its anchor base; a layer that
                # stands alone (`docker compose -f other.yaml`) is a project of its own.
                anchor = self.anchor_files(compose) if self.is_fragment(compose) else []
                project = self._make_project([*anchor, compose])
                self._project_of[file_key(compose)] = project

    def is_fragment(self, compose: ComposeFile) -> bool:
        """An override, or a layer file that cannot work alone: a service without image, build or
        extends (it only adjusts a service defined elsewhere), or a reference it does not define."""
        role = file_role(compose.path)
        if role == "base":
            return False
        if role == "override":
            return True
        cached = self._fragments.get(file_key(compose))
        if cached is not None:
            return cached
        result = False
        defined = {s: {str(n) for n in compose.top_level(s)} for s in SECTIONS}
        defined["networks"].add("default")
        for service in compose.services.values():
            data = service.data
            if not any(k in data for k in ("image", "build", "extends")):
                result = True
                break
            refs = references(data)
            if any(name not in compose.services for name in refs["services"]) or any(
                    name not in defined[section] for section in SECTIONS for name in refs[section]):
                result = True
                break
        self._fragments[file_key(compose)] = result
        return result

    def siblings(self, compose: ComposeFile) -> list[ComposeFile]:
        """Other fragment layers in the same folder (extensions meant to be combined); layers that stand
        alone are alternatives, not parts of this one."""
        return [c for c in self.by_dir.get(os.path.dirname(file_key(compose)), []) if c is not compose
                and file_role(c.path) == "layer" and self.is_fragment(c)]

    def _make_project(self, files: list[ComposeFile]) -> ComposeProject:
        project = ComposeProject(list(files), definitions={s: {} for s in SECTIONS})
        left_out: set[str] = set()
        for compose in files:
            for name, service in compose.services.items():
                data = self.resolve(compose, name)
                if data is None:
                    continue
                existing = project.services.get(name)
                if name in left_out:
                    continue
                if existing is None:
                    project.services[name] = MergedService(name, _lift_map(data, compose.path), [service])
                elif self.cost.entries >= MAX_MERGED_ENTRIES:
                    left_out.add(name)
                    del project.services[name]
                    self.cut[(file_key(compose), name)] = service
                else:
                    existing.data = merge_service_data(existing.data, existing.sources[0].path, data, compose.path,
                                                       self.tag_at, self.cost)
                    existing.sources.append(service)
            self._add_definitions(project, compose)
        for included in self._includes(files):
            for name, service in included.services.items():
                data = self.resolve(included, name)
                if data is not None and name not in project.services and name not in left_out:
                    project.services[name] = MergedService(name, _lift_map(data, included.path), [service])
            self._add_definitions(project, included)
        for merged in project.services.values():
            merged.project = project
        self.projects.append(project)
        return project

    @staticmethod
    def _add_definitions(project: ComposeProject, compose: ComposeFile) -> None:
        for section in SECTIONS:
            node = compose.top_level(section)
            for name in node:
                project.definitions[section].setdefault(
                    str(name), Definition(str(name), Location.of(compose.path, node.key_span(name))))

    def _includes(self, files: list[ComposeFile]) -> list[ComposeFile]:
        """Linted files named by `include` in these files (recursively), each once."""
        found: list[ComposeFile] = []
        seen = {file_key(f) for f in files}
        pending = list(files)
        while pending:
            compose = pending.pop()
            for path in include_paths(compose):
                key = abs_key(path)
                target = self.files.get(key)
                if target is not None and key not in seen:
                    seen.add(key)
                    found.append(target)
                    pending.append(target)
        return found

    # --- extends -----------------------------------------------------------------------------

    def resolve(self, compose: ComposeFile, name: str, depth: int = 0) -> MergedMap | None:
        """A service's data with `extends` applied (cycles and unknown bases leave it as written)."""
        key = (file_key(compose), name)
        if key in self._resolved:
            return self._resolved[key]
        self._resolved[key] = None  # cycle guard
        service = compose.services.get(name)
        if service is None:
            return None
        data = _lift_map(service.data, compose.path)
        base = self._extends_base(compose, service)
        if base is not None and depth < 20:
            base_file, base_name = base
            base_data = self.resolve(base_file, base_name, depth + 1)
            if (base_data is None and (file_key(base_file), base_name) in self.cut) \
                    or (base_data is not None and self.cost.entries >= MAX_MERGED_ENTRIES):
                self.cut[key] = service  # not judged as written: it would lack what its base gives
                return None
            if base_data is not None:
                data = merge_service_data(base_data, base_file.path, service.data, compose.path, self.tag_at,
                                          self.cost)
        self._resolved[key] = data
        return data

    def _extends_base(self, compose: ComposeFile, service: ComposeService) -> tuple[ComposeFile, str] | None:
        extends = service.data.get("extends")
        if isinstance(extends, str):
            return (compose, extends) if not is_interpolated(extends) else None
        if not isinstance(extends, YMap) or not isinstance(extends.get("service"), str):
            return None
        name = str(extends["service"])
        file_name = extends.get("file")
        if file_name is None:
            return compose, name
        if not isinstance(file_name, str) or is_interpolated(file_name):
            return None
        target = self.files.get(os.path.normpath(os.path.join(os.path.dirname(file_key(compose)), file_name)))
        return (target, name) if target is not None else None

    def extends_target(self, service: ComposeService) -> tuple[ComposeFile | None, str] | None:
        """For DC rules: (file holding the base or None when not linted, base service name)."""
        extends = service.data.get("extends")
        if isinstance(extends, str):
            return service.file, extends
        if isinstance(extends, YMap) and isinstance(extends.get("service"), str):
            found = self._extends_base(service.file, service)
            if found is not None:
                return found
            return None, str(extends["service"])
        return None

    # --- lookups -----------------------------------------------------------------------------

    def project_of(self, compose: ComposeFile) -> ComposeProject | None:
        return self._project_of.get(file_key(compose))

    def scope_of(self, compose: ComposeFile) -> Scope:
        """What references in this file may name: its project (base and override, or the base a layer
        goes on), included files and, for a fragment layer, the other fragment layers of its folder.
        A base file's scope does not include the layers written on top of it: the base must work alone."""
        key = file_key(compose)
        cached = self._scopes.get(key)
        if cached is not None:
            return cached
        scope = Scope()
        project = self._project_of.get(key)
        files = list(project.files) if project is not None else [compose]
        if file_role(compose.path) == "layer" and self.is_fragment(compose):
            files.extend(self.siblings(compose))
        files.extend(self._includes(files))
        for member in files:
            scope.services.update(member.services)
            for section in SECTIONS:
                scope.sections[section].update(str(n) for n in member.top_level(section))
            for path in include_paths(member):
                if abs_key(path) not in self.files:
                    scope.has_includes_outside = True
        self._scopes[key] = scope
        return scope

    def key_of_display(self, path: str) -> str:
        """The disk key of a compose file from its display path (as in a Location)."""
        return self._display_key.get(path) or abs_key(path)

    def file_at(self, path: str) -> ComposeFile | None:
        return self.files.get(self.key_of_display(path))

    def owns(self, project: ComposeProject, path: str) -> bool:
        """True when findings located in this file belong to this project."""
        home = self._project_of.get(self.key_of_display(path))
        return home is None or home is project

    def unique_services(self) -> Iterator[tuple[ComposeProject, MergedService]]:
        for project in self.projects:
            for service in project.services.values():
                yield project, service


def references(data: YMap) -> dict[str, set[str]]:
    """The names a service definition refers to: services, networks, volumes, secrets, configs."""
    found: dict[str, set[str]] = {"services": set(), **{s: set() for s in SECTIONS}}
    depends = data.get("depends_on")
    if isinstance(depends, YList | YMap):
        found["services"].update(str(n) for n in depends)
    for key in ("network_mode", "pid", "ipc"):
        value = data.get(key)
        if isinstance(value, str) and value.startswith("service:"):
            found["services"].add(value[len("service:"):])
    for key in ("volumes_from", "links"):
        items = data.get(key)
        if isinstance(items, YList):
            found["services"].update(str(i).split(":", 1)[0] for i in items if not str(i).startswith("container:"))
    networks = data.get("networks")
    if isinstance(networks, YList | YMap):
        found["networks"].update(str(n) for n in networks)
    volumes = data.get("volumes")
    for item in volumes if isinstance(volumes, YList) else ():
        source = split_volume(item)[0] if isinstance(item, str) and len(split_volume(item)) > 1 else (
            item.get("source") if isinstance(item, YMap) and item.get("type", "volume") == "volume" else None)
        if isinstance(source, str) and source and not source.startswith((".", "/", "~", "\\")) \
                and not (len(source) > 1 and source[1] == ":"):
            found["volumes"].add(source)
    for section in ("secrets", "configs"):
        items = data.get(section)
        for item in items if isinstance(items, YList) else ():
            name = item.get("source") if isinstance(item, YMap) else item
            if isinstance(name, str):
                found[section].add(name)
    for section in found:
        found[section] = {n for n in found[section] if not is_interpolated(n)}
    return found


def compose_model(index: ProjectIndex) -> ComposeModel:
    """The compose projects of this run, built once and kept on the index."""
    cached = index.derived.get("compose_model")
    if not isinstance(cached, ComposeModel):
        cached = ComposeModel(index.compose_files)
        index.derived["compose_model"] = cached
    return cached


def per_service(index: ProjectIndex,
                check: Callable[[MergedService], Iterable[Violation]]) -> Iterator[Violation]:
    """Run a check on every merged service of every project, keeping a finding only in the project of
    the file it points at: a base file's value is judged with the base's own override, not in the view
    of a layer file that is combined with the base alone. The first call of a run also reports the
    services that merging left out (MAX_MERGED_ENTRIES), one KL013 per file."""
    model = compose_model(index)
    if model.cut and not model.cut_reported:
        model.cut_reported = True
        yield from merge_cuts(model)
    for project in model.projects:
        for service in project.services.values():
            for violation in check(service):
                if model.owns(project, violation.location.path):
                    yield violation


def unique(violations: Iterable[Violation]) -> Iterator[Violation]:
    """Drop repeats: a base file's service is seen again in each layer project built on it."""
    seen: set[tuple[str, int, int, str]] = set()
    for violation in violations:
        key = (violation.location.path, violation.location.line, violation.location.column, violation.message)
        if key not in seen:
            seen.add(key)
            yield violation


def merge_cuts(model: ComposeModel) -> Iterator[Violation]:
    by_file: dict[str, list[ComposeService]] = {}
    for service in model.cut.values():
        by_file.setdefault(service.path, []).append(service)
    for services in by_file.values():
        services.sort(key=lambda s: (s.location.line, s.location.column))
        names = ", ".join(f"'{s.name}'" for s in services[:3])
        more = f" and {len(services) - 3:,} more" if len(services) > 3 else ""
        yield Incomplete(
            f"merging compose services (extends, override files) stopped after copying {model.cost.entries:,} "
            f"inherited entries (the limit is {MAX_MERGED_ENTRIES:,}): the compose project rules were not run "
            f"on {len(services):,} service{'s' if len(services) != 1 else ''} of this file ({names}{more})",
            services[0].location)
