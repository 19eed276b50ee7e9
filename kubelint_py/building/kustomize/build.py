"""Build one kustomization as kustomize does, offline, from the located YAML of the repository's files.

Order (kustomize's AccumulateTarget): resources and bases (files; folders are built first, recursively),
components (applied to what is accumulated so far), configMapGenerator/secretGenerator, then the
transformers: patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix, commonLabels/labels,
commonAnnotations, patchesJson6902, replicas, images. At the root only: the content-hash name suffixes,
then the name references are moved to the final names.

Never reads outside `boundary` (symbolic links and `..` are resolved first) and counts its work (Budget).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.building.kustomize import builtins
from kubelint_py.building.kustomize.fieldspecs import Configurations, Var, parse_vars, resolve_vars
from kubelint_py.building.kustomize.generators import content_hash, generate
from kubelint_py.building.kustomize.merge import is_builtin, json6902, strategic_merge
from kubelint_py.building.kustomize.nodes import Budget, BuildError, Unsupported, copy_tree, plain
from kubelint_py.building.kustomize.replacements import apply as replacement_apply
from kubelint_py.building.kustomize.transforms import (
    Obj,
    add_annotations,
    add_labels,
    fix_references,
    set_images,
    set_namespace,
    set_replicas,
)
from kubelint_py.core.source import FileSpan, Span
from kubelint_py.models.located import YList, YMap
from kubelint_py.parsing.yaml import load_yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_DEPTH = 30
"""Nesting of kustomizations (real trees stay under 6)."""
MAX_OBJECTS = 20_000
"""Objects in one build."""
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_RESTRICTED = 100
"""Files outside their kustomization's folder remembered per build (the first is reported)."""

# Fields read by the builder; others that change the output are not built offline.
UNSUPPORTED_FIELDS = ("helmCharts", "helmChartInflationGenerator", "helmGlobals", "validators", "crds", "openapi",
                      "buildMetadata")
_KNOWN_FIELDS = frozenset({
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix",
    "nameSuffix", "commonLabels", "labels", "commonAnnotations", "images", "replicas", "configMapGenerator",
    "secretGenerator", "generatorOptions", "patches", "patchesStrategicMerge", "patchesJson6902", "sortOptions",
    "vars", "configurations", "replacements", "transformers", "generators",
    *UNSUPPORTED_FIELDS,
})
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|(?:github\.com|gitlab\.com|bitbucket\.org)/)|\?ref=|//")


@dataclass
class LoadedFile:
    """A YAML file as the builder reads it: its display path and documents (spans naming that path)."""

    display: str
    documents: list[tuple[int, Any, Span]]
    problem: str | None = None


@dataclass
class Files:
    """Reads the files a kustomization names, once per run, only inside `boundary`."""

    boundary: str
    display: Callable[[str], str]
    preloaded: dict[str, tuple[str, list[tuple[int, Any, Span]]]] = field(default_factory=dict)
    """Real path -> (display path, parsed documents) of files the run has loaded already."""
    texts: dict[str, str] = field(default_factory=dict)
    """Real path -> text of files the run has read (an editor's unsaved text included): never re-read."""
    _yaml: dict[str, LoadedFile] = field(default_factory=dict)
    _bytes: dict[str, bytes] = field(default_factory=dict)
    budget: Budget = field(default_factory=lambda: Budget(20_000_000))
    restricted: list[tuple[str, Span, str]] = field(default_factory=list)
    """Files read from outside the folder of the kustomization naming them: (the entry, its span, that
    folder), at most MAX_RESTRICTED per build (Builder.build points it at its result's list)."""

    def real(self, folder: str, relative: str, span: Span, *, below: bool = False) -> str:
        """The real path of a named file; with below=True it must be in or below `folder` (kustomize's load
        restriction for files; folders of other kustomizations may be anywhere in the repository)."""
        if os.path.isabs(relative):
            raise BuildError(f"'{relative}' is an absolute path; kustomize only reads inside the tree", span)
        real = os.path.realpath(os.path.join(folder, relative))
        if os.path.commonpath([self.boundary, real]) != self.boundary:
            raise BuildError(f"'{relative}' is outside the repository; it was not read", span)
        if below and os.path.isfile(real):
            base = os.path.realpath(folder)
            if os.path.commonpath([base, real]) != base and len(self.restricted) < MAX_RESTRICTED:
                # kustomize's default load restrictor refuses it, but `--load-restrictor
                # LoadRestrictionsNone`, a flag of the build and not of the files, allows it: read (inside
                # the repository, checked above) and reported by the caller as a warning that says so.
                self.restricted.append((relative, span, folder))
        return real

    def read_bytes(self, folder: str, relative: str, span: Span) -> tuple[bytes, str]:
        real = self.real(folder, relative, span, below=True)
        if real not in self._bytes and real in self.texts:
            self._bytes[real] = self.texts[real].encode("utf-8")
        if real not in self._bytes:
            if not os.path.isfile(real):
                raise BuildError(f"file '{relative}' not found", span, missing=(folder, relative))
            from kubelint_py.loading.source_file import read_regular_bytes

            data = read_regular_bytes(real, MAX_FILE_BYTES)
            if data is None or len(data) > MAX_FILE_BYTES:
                raise BuildError(f"file '{relative}' cannot be read (or is over 10 MB)", span)
            self._bytes[real] = data
        return self._bytes[real], self.display(real)

    def yaml(self, real: str, span: Span) -> LoadedFile:
        found = self._yaml.get(real)
        if found is not None:
            return found
        pre = self.preloaded.get(real)
        if pre is not None:
            shown, docs = pre
        else:
            data, shown = self.read_bytes(os.path.dirname(real), os.path.basename(real), span)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise BuildError(f"'{shown}' is not UTF-8", span) from None
            stream = load_yaml(text)
            if stream.problems:
                problem = stream.problems[0]
                raise BuildError(f"'{shown}' is not valid YAML (line {problem.span.line}: {problem.message})",
                                 span)
            docs = [(d.index, d.value, d.span) for d in stream.documents]
        relocated: list[tuple[int, Any, Span]] = [
            (index, copy_tree(value, self.budget, shown), FileSpan(shown, doc_span)) for index, value, doc_span in docs]
        loaded = self._yaml[real] = LoadedFile(shown, relocated)
        return loaded


@dataclass
class BuildResult:
    root: str
    """The root kustomization file (real path)."""
    display: str
    objects: list[Obj] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    """Real paths of every file the build read (the kustomizations included)."""
    error: BuildError | None = None
    unsupported: Unsupported | None = None
    error_file: str = ""
    """Display path of the kustomization the error or unsupported field is in."""
    restricted: list[tuple[str, Span, str]] = field(default_factory=list)
    """Files named from outside their kustomization's folder (Files.restricted), read as
    `--load-restrictor LoadRestrictionsNone` reads them."""


def find_kustomization(folder: str) -> str | None:
    found = [name for name in KUSTOMIZATION_FILES if os.path.isfile(os.path.join(folder, name))]
    return os.path.join(folder, found[0]) if found else None


class Builder:
    def __init__(self, files: Files, budget: Budget | None = None) -> None:
        self.files = files
        self.budget = budget or Budget()
        self.used: set[str] = set()
        self.current_file = ""
        self.configurations = Configurations()
        self.vars: list[Var] = []

    def build(self, kustomization_path: str) -> BuildResult:
        real = os.path.realpath(kustomization_path)
        result = BuildResult(real, self.files.display(real))
        self.files.restricted = result.restricted
        try:
            objs = self._accumulate(real, [], (), 0)
            for obj in objs:
                if obj.hash_suffix:
                    obj.rename(f"{obj.name}-{content_hash(obj.body)}")
            fix_references(objs, self.budget, self.configurations.name_references)
            resolve_vars(objs, self.vars, self.configurations.var_references, self.budget)
            for obj in objs:  # kustomize drops empty annotations (it stores its own there while building)
                meta = obj.body.get_map("metadata")
                if meta is not None and "annotations" in meta and not meta["annotations"]:
                    del meta["annotations"]
            result.objects = objs
        except BuildError as error:
            result.error, result.error_file = error, self.current_file
        except Unsupported as unsupported:
            result.unsupported, result.error_file = unsupported, self.current_file
        result.files = self.used
        return result

    # --- one kustomization ---------------------------------------------------------------------------

    def _load_kustomization(self, real: str, span: Span | None) -> tuple[YMap, str]:
        self.used.add(real)
        loaded = self.files.yaml(real, span or Span.point(1))
        maps = [value for _, value, _ in loaded.documents if value is not None]
        if len(maps) != 1 or not isinstance(maps[0], YMap):
            raise BuildError("a kustomization must be one YAML mapping", span)
        return copy_tree(maps[0], self.budget), loaded.display

    def _accumulate(self, real: str, objs: list[Obj], stack: tuple[str, ...], depth: int) -> list[Obj]:
        if depth > MAX_DEPTH:
            raise BuildError(f"kustomizations nest more than {MAX_DEPTH} deep")
        kustomization, shown = self._load_kustomization(real, None)
        folder = os.path.dirname(real)
        stack = (*stack, folder)
        self.current_file = shown
        for key in kustomization:
            if key in UNSUPPORTED_FIELDS:
                raise Unsupported(str(key), kustomization.key_span(key))
        configurations = kustomization.get_list("configurations")
        for index, item in enumerate(configurations or ()):
            assert configurations is not None
            span = configurations.item_span(index)
            if not isinstance(item, str):
                raise BuildError("a configurations entry must be a path", span)
            real_config = self.files.real(folder, item, span, below=True)
            if not os.path.isfile(real_config):
                raise BuildError(f"configuration file '{item}' not found", span, missing=(folder, item))
            self.used.add(real_config)
            for _, document, _ in self.files.yaml(real_config, span).documents:
                if isinstance(document, YMap):
                    self.configurations.add(document, span)
        if "vars" in kustomization and kustomization.get("vars") is not None:
            self.vars.extend(parse_vars(kustomization.get("vars"), kustomization.key_span("vars")))
        resources = [(kustomization.get_list(key), key) for key in ("resources", "bases")]
        for items, _ in resources:
            for index, entry in enumerate(items or ()):
                assert items is not None
                self.current_file = shown
                self._resource(folder, entry, items.item_span(index), objs, stack, depth)
        components = kustomization.get_list("components")
        for index, entry in enumerate(components or ()):
            assert components is not None
            span = components.item_span(index)
            self.current_file = shown
            target = self._folder(folder, entry, span, stack, "component")
            self._accumulate(target, objs, stack, depth + 1)
        self.current_file = shown
        generate(kustomization, folder, self.files, objs, shown)
        generators = kustomization.get_list("generators")
        if generators is not None:
            for config, span in builtins.documents_of(self._loader(folder), generators):
                field_name, entry = builtins.generator_entry(config, span)
                listed = YList(span)
                listed.append(entry)
                listed.item_spans.append(span)
                holder = YMap(span)
                holder[field_name] = listed
                generate(holder, folder, self.files, objs, shown)
        self._transform(kustomization, folder, objs)
        if len(objs) > MAX_OBJECTS:
            raise BuildError(f"the build makes more than {MAX_OBJECTS:,} objects; it was not linted as built")
        return objs

    def _folder(self, folder: str, entry: Any, span: Span, stack: tuple[str, ...], what: str) -> str:
        if not isinstance(entry, str) or not entry:
            raise BuildError(f"a {what} entry must be a path", span)
        if _REMOTE.search(entry):
            raise Unsupported("resources" if what == "resource" else "components", span,
                              f"remote {what} '{entry}'")
        real = self.files.real(folder, entry, span)
        if not os.path.isdir(real):
            raise BuildError(f"{what} '{entry}' not found", span, missing=(folder, entry))
        if real in stack:
            raise BuildError(f"{what} '{entry}' includes itself (a cycle)", span)
        found = find_kustomization(real)
        if found is None:
            raise BuildError(f"{what} folder '{entry}' has no kustomization.yaml", span)
        return found

    def _resource(self, folder: str, entry: Any, span: Span, objs: list[Obj], stack: tuple[str, ...],
                  depth: int) -> None:
        if not isinstance(entry, str) or not entry:
            raise BuildError("a resources entry must be a path", span)
        if _REMOTE.search(entry):
            raise Unsupported("resources", span, f"remote base '{entry}'")
        real = self.files.real(folder, entry, span, below=True)
        if os.path.isdir(real):
            target = self._folder(folder, entry, span, stack, "resource")
            added = self._accumulate(target, [], stack, depth + 1)
        elif os.path.isfile(real):
            if os.path.basename(real) in KUSTOMIZATION_FILES:
                raise BuildError(f"resource '{entry}' is a kustomization file: name its folder", span)
            self.used.add(real)
            added = list(self._objects(real, span))
        else:
            raise BuildError(f"resource '{entry}' not found", span, missing=(folder, entry))
        for obj in added:
            key = (obj.group, obj.kind, obj.namespace, obj.name)
            for other in objs:
                if (other.group, other.kind, other.namespace, other.name) == key:
                    raise BuildError(f"{obj.kind} '{obj.name}' is added twice (by '{entry}' and earlier)", span)
            objs.append(obj)
        if len(objs) > MAX_OBJECTS:
            raise BuildError(f"the build makes more than {MAX_OBJECTS:,} objects; it was not linted as built", span)

    def _objects(self, real: str, span: Span) -> Iterator[Obj]:
        loaded = self.files.yaml(real, span)
        for index, value, doc_span in loaded.documents:
            if value is None:
                continue
            if not isinstance(value, YMap):
                raise BuildError(f"'{loaded.display}' document {index + 1} is not a mapping", span)
            yield from self._expand(copy_tree(value, self.budget), loaded.display, index, doc_span, span)

    def _expand(self, body: YMap, shown: str, index: int, doc_span: Span, span: Span) -> Iterator[Obj]:
        kind = body.get("kind")
        items = body.get_list("items")
        if isinstance(kind, str) and kind.endswith("List") and items is not None:
            for _, item in items.maps():
                yield from self._expand(item, shown, index, item.span, span)
            return
        if not isinstance(kind, str) or not kind:
            raise BuildError(f"an object in '{shown}' has no kind", span)
        yield Obj(body, shown, index, doc_span)

    # --- transformers --------------------------------------------------------------------------------

    def _patch_documents(self, folder: str, item: Any, container: YMap | YList, key: Any,
                         span: Span) -> list[tuple[Any, Span]]:
        """The parsed documents of a patch given as a path or inline text."""
        if not isinstance(item, str):
            raise BuildError("a patch must be a path or YAML text", span)
        if "\n" not in item and not item.lstrip().startswith(("{", "[")) and ":" not in item.split("/")[-1]:
            real = self.files.real(folder, item, span, below=True)
            if not os.path.isfile(real):
                raise BuildError(f"patch file '{item}' not found", span, missing=(folder, item))
            self.used.add(real)
            loaded = self.files.yaml(real, span)
            return [(copy_tree(v, self.budget), s) for _, v, s in loaded.documents if v is not None]
        return self._inline(item, span)

    def _inline(self, text: str, span: Span) -> list[tuple[Any, Span]]:
        stream = load_yaml(text)
        if stream.problems:
            raise BuildError(f"inline patch is not valid YAML: {stream.problems[0].message}", span)
        shown = span[4] if len(span) == 5 else self.current_file
        found: list[tuple[Any, Span]] = []
        for doc in stream.documents:
            if doc.value is None:
                continue
            found.append((_shift(copy_tree(doc.value, self.budget, shown), span, shown), span))
        return found

    def _transform(self, k: YMap, folder: str, objs: list[Obj]) -> None:
        psm = k.get_list("patchesStrategicMerge")
        for index, item in enumerate(psm or ()):
            assert psm is not None
            span = psm.item_span(index)
            for patch, _ in self._patch_documents(folder, item, psm, index, span):
                if not isinstance(patch, YMap):
                    raise BuildError("a strategic merge patch must be a mapping", span)
                self._smp(objs, patch, None, span)
        patches = k.get_list("patches")
        for index, entry in enumerate(patches or ()):
            assert patches is not None
            span = patches.item_span(index)
            if not isinstance(entry, YMap):
                raise BuildError("a patches entry must have path: or patch:", span)
            self._patch_entry(folder, entry, span, objs, json_only=False)
        namespace = k.get("namespace")
        if isinstance(namespace, str) and namespace:
            set_namespace(objs, namespace, k.value_span("namespace"), self.configurations.namespaces)
        for key in ("namePrefix", "nameSuffix"):
            value = k.get(key)
            if isinstance(value, str) and value:
                for obj in objs:
                    if obj.kind in ("CustomResourceDefinition", "APIService") or not obj.name:
                        continue
                    new = value + obj.name if key == "namePrefix" else obj.name + value
                    obj.rename(new)
        common = k.get_map("commonLabels")
        if common is not None:
            add_labels(objs, common, selectors=True, templates=True, extra=self.configurations.labels)
        labels = k.get_list("labels")
        for _, entry in labels.maps() if labels is not None else []:
            pairs = entry.get_map("pairs")
            if pairs is not None:
                selectors = entry.get("includeSelectors") is True
                templates = selectors or entry.get("includeTemplates") is True
                add_labels(objs, pairs, selectors=selectors, templates=templates, extra=self.configurations.labels)
        annotations = k.get_map("commonAnnotations")
        if annotations is not None:
            add_annotations(objs, annotations)
        pj = k.get_list("patchesJson6902")
        for index, entry in enumerate(pj or ()):
            assert pj is not None
            span = pj.item_span(index)
            if not isinstance(entry, YMap):
                raise BuildError("a patchesJson6902 entry must have a target and path: or patch:", span)
            self._patch_entry(folder, entry, span, objs, json_only=True)
        replicas = k.get_list("replicas")
        if replicas is not None:
            set_replicas(objs, replicas)
        images = k.get_list("images")
        if images is not None:
            set_images(objs, images, self.budget)
        replacements = k.get_list("replacements")
        if replacements is not None:
            replacement_apply(objs, self._replacements(folder, replacements), self.budget)
        transformers = k.get_list("transformers")
        if transformers is not None:
            def patch(entry: YMap, span: Span, json_only: bool) -> None:
                self._patch_entry(folder, entry, span, objs, json_only=json_only)

            for config, span in builtins.documents_of(self._loader(folder), transformers):
                builtins.transform(config, span, objs, self.budget, patch)

    def _loader(self, folder: str) -> Callable[[Any, Span], list[tuple[Any, Span]]]:
        def load(item: Any, span: Span) -> list[tuple[Any, Span]]:
            return self._patch_documents(folder, item, YList(span), 0, span)
        return load

    def _replacements(self, folder: str, items: YList) -> list[tuple[YMap, Span]]:
        """Replacement entries, inline or from `path:` files (one or more documents each)."""
        entries: list[tuple[YMap, Span]] = []
        for index, item in items.maps():
            span = items.item_span(index)
            if "path" in item:
                for document, _ in self._patch_documents(folder, item["path"], item, "path", item.value_span("path")):
                    for one in document if isinstance(document, YList) else [document]:
                        if not isinstance(one, YMap):
                            raise BuildError("a replacement must be a mapping", span)
                        entries.append((one, span))
            else:
                entries.append((item, span))
        return entries

    def _patch_entry(self, folder: str, entry: YMap, span: Span, objs: list[Obj], *, json_only: bool) -> None:
        if "path" in entry:
            documents = self._patch_documents(folder, entry["path"], entry, "path", entry.value_span("path"))
        elif "patch" in entry:
            text = entry["patch"]
            if not isinstance(text, str):
                raise BuildError("patch: must be YAML text", entry.value_span("patch"))
            documents = self._inline(text, entry.value_span("patch"))
        else:
            raise BuildError("a patch needs path: or patch:", span)
        target = entry.get_map("target")
        for patch, _ in documents:
            if isinstance(patch, YList) or json_only:
                if target is None:
                    raise BuildError("a JSON 6902 patch needs a target", span)
                matched = [o for o in objs if _selects(o, target)]
                if json_only and not matched:
                    raise BuildError("no object matches this patch's target", entry.key_span("target"))
                for obj in matched:
                    json6902(obj.body, patch, span, self.budget)
            elif isinstance(patch, YMap):
                self._smp(objs, patch, target, span)
            else:
                raise BuildError("a patch must be a mapping or a list of operations", span)

    def _smp(self, objs: list[Obj], patch: YMap, target: YMap | None, span: Span) -> None:
        if target is not None:
            matched = [o for o in objs if _selects(o, target)]
        else:
            meta = patch.get_map("metadata")
            name = meta.get("name") if meta is not None else None
            namespace = meta.get("namespace") if meta is not None else None
            kind, api = patch.get("kind"), patch.get("apiVersion")
            group = api.rpartition("/")[0] if isinstance(api, str) and "/" in api else ""
            wanted = (name, _namespace(namespace))
            # kustomize matches the patch's id (a missing namespace is "default") against each object's
            # current and earlier ids.
            matched = [o for o in objs if o.kind == kind and o.group == group and isinstance(name, str)
                       and any((n, _namespace(ns)) == wanted
                               for n, ns in ((o.name, o.namespace), *o.old_names))]
            if not matched:
                raise BuildError(f"patch target {kind}/{name} matches no object of the build", span)
            if len(matched) > 1:
                raise BuildError(f"patch target {kind}/{name} matches {len(matched)} objects", span)
        if patch.get("$patch") == "delete":  # the whole object leaves the build
            objs[:] = [o for o in objs if not any(o is m for m in matched)]
            return
        body = copy_tree(patch, self.budget)
        meta = body.get_map("metadata")
        for key in ("apiVersion", "kind"):
            body.pop(key, None)
        for obj in matched:
            own = copy_tree(body, self.budget)
            own_meta = own.get_map("metadata")
            if own_meta is not None and meta is not None:
                own_meta.pop("name", None)
                own_meta.pop("namespace", None)
            api = obj.body.get("apiVersion")
            strategic_merge(obj.body, own, is_builtin(api if isinstance(api, str) else ""), self.budget)


def _namespace(value: Any) -> str:
    return "default" if value in (None, "") else str(value)


def _selects(obj: Obj, target: YMap) -> bool:
    api = obj.body.get("apiVersion")
    api = api if isinstance(api, str) else ""
    group, _, version = api.rpartition("/")
    for key, have in (("group", group), ("version", version), ("kind", obj.kind)):
        wanted = target.get(key)
        if wanted not in (None, "") and not _regex(str(wanted), have):
            return False
    name = target.get("name")
    if name not in (None, "") and not any(_regex(str(name), n) for n in obj.names()):
        return False
    namespace = target.get("namespace")
    if namespace not in (None, "") and not _regex(str(namespace), obj.namespace or ""):
        return False
    for key, source in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        selector = target.get(key)
        if isinstance(selector, str) and selector:
            values = obj.meta.get_map(source)
            have_map = {str(k): str(v) for k, v in values.items()} if values is not None else {}
            if not _selector_matches(selector, have_map):
                return False
    return True


def _regex(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for part in selector.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            key, _, value = part.partition("!=")
            if labels.get(key.strip()) == value.strip():
                return False
        elif "==" in part or "=" in part:
            key, _, value = part.partition("==") if "==" in part else part.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
        elif part.startswith("!"):
            if part[1:].strip() in labels:
                return False
        elif part not in labels:
            return False
    return True


def _shift(node: Any, span: Span, shown: str) -> Any:
    """Spans of an inline patch (parsed on its own) moved to where its text sits in the kustomization."""
    offset = span.line  # a block scalar's text starts on the line after its `|`
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            item.span = _moved(item.span, offset, shown)
            item.key_spans = {k: _moved(s, offset, shown) for k, s in item.key_spans.items()}
            item.value_spans = {k: _moved(s, offset, shown) for k, s in item.value_spans.items()}
            stack.extend(v for v in item.values() if isinstance(v, YMap | YList))
        elif isinstance(item, YList):
            item.span = _moved(item.span, offset, shown)
            item.item_spans = [_moved(s, offset, shown) for s in item.item_spans]
            stack.extend(v for v in item if isinstance(v, YMap | YList))
    return node


def _moved(span: Span, offset: int, shown: str) -> Span:
    return FileSpan(shown, Span(span[0] + offset, span[1], span[2] + offset, span[3]))


__all__ = ["BuildResult", "Builder", "Files", "find_kustomization", "plain"]
