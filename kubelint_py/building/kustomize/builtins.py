"""`transformers:` and `generators:` entries that are kustomize's builtin plugins (`apiVersion: builtin`):
each is the configuration of a field the builder already runs (PrefixSuffixTransformer is namePrefix,
LabelTransformer is labels with explicit field specs, ...). Anything else is a plugin: not built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelint_py.building.kustomize.fieldspecs import parse as parse_specs
from kubelint_py.building.kustomize.nodes import Budget, BuildError, Unsupported, ensure_map, holders, set_value
from kubelint_py.building.kustomize.transforms import Obj, set_images, set_namespace, set_replicas
from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap

TRANSFORMERS = frozenset({
    "PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer", "LabelTransformer",
    "AnnotationsTransformer", "NamespaceTransformer", "ImageTagTransformer", "ReplicaCountTransformer",
    "PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer",
})
GENERATORS = frozenset({"ConfigMapGenerator", "SecretGenerator"})


def check(config: YMap, span: Span, field: str) -> str:
    """The builtin kind of a plugin configuration, or Unsupported."""
    kind = config.get("kind")
    known = TRANSFORMERS if field == "transformers" else GENERATORS
    if config.get("apiVersion") != "builtin" or kind not in known:
        raise Unsupported(field, span, f"{field} plugin '{config.get('apiVersion')}/{kind}'")
    return str(kind)


def _set_in_specs(objs: list[Obj], values: YMap, specs: YList | None, span: Span) -> None:
    for spec in parse_specs(specs, span):
        for obj in objs:
            if not spec.applies(obj):
                continue
            for holder, key in list(holders(obj.body, spec.path, spec.create, span)):
                target = holder.get(key)
                if target is None and spec.create:
                    target = ensure_map(holder, key, values.span)
                if isinstance(target, YMap):
                    for name, value in values.items():
                        set_value(target, str(name), "" if value is None else str(value), values.value_span(name),
                                  key_span=values.key_span(name))


def transform(config: YMap, span: Span, objs: list[Obj], budget: Budget,
              patch: Callable[[YMap, Span, bool], None]) -> None:
    """Run one builtin transformer configuration. `patch(entry, span, json_only)` runs a patches entry."""
    kind = check(config, span, "transformers")
    if kind in ("PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer"):
        prefix = config.get("prefix") if kind != "SuffixTransformer" else None
        suffix = config.get("suffix") if kind != "PrefixTransformer" else None
        for obj in objs:
            if obj.kind in ("CustomResourceDefinition", "APIService") or not obj.name:
                continue
            obj.rename(f"{prefix or ''}{obj.name}{suffix or ''}")
    elif kind in ("LabelTransformer", "AnnotationsTransformer"):
        values = config.get_map("labels" if kind == "LabelTransformer" else "annotations")
        if values is not None:
            _set_in_specs(objs, values, config.get_list("fieldSpecs"), span)
    elif kind == "NamespaceTransformer":
        meta = config.get_map("metadata")
        namespace = meta.get("namespace") if meta is not None else None
        if isinstance(namespace, str) and namespace and meta is not None:
            set_namespace(objs, namespace, meta.value_span("namespace"))
    elif kind == "ImageTagTransformer":
        image = config.get_map("imageTag")
        if image is not None:
            listed = YList(span)
            listed.append(image)
            listed.item_spans.append(image.span)
            set_images(objs, listed, budget)
    elif kind == "ReplicaCountTransformer":
        replica = config.get_map("replica")
        if replica is not None:
            listed = YList(span)
            listed.append(replica)
            listed.item_spans.append(replica.span)
            set_replicas(objs, listed)
    elif kind == "PatchJson6902Transformer":
        entry = _copy_fields(config, {"target": "target", "path": "path", "jsonOp": "patch"})
        patch(entry, span, True)
    elif kind == "PatchTransformer":
        patch(_copy_fields(config, {"target": "target", "path": "path", "patch": "patch"}), span, False)
    elif kind == "PatchStrategicMergeTransformer":
        for key in ("paths", "patches"):
            items = config.get(key)
            if isinstance(items, str):
                patch(_copy_fields(config, {key: "patch"}), span, False)
            elif isinstance(items, YList):
                for index, item in enumerate(items):
                    entry = YMap(items.item_span(index))
                    set_value(entry, "path" if key == "paths" else "patch", item, items.item_span(index))
                    patch(entry, span, False)


def _copy_fields(config: YMap, names: dict[str, str]) -> YMap:
    entry = YMap(config.span)
    for source, target in names.items():
        if source in config:
            set_value(entry, target, config[source], config.value_span(source), key_span=config.key_span(source))
    return entry


def generator_entry(config: YMap, span: Span) -> tuple[str, YMap]:
    """A ConfigMapGenerator/SecretGenerator configuration as a configMapGenerator/secretGenerator entry."""
    kind = check(config, span, "generators")
    entry = YMap(config.span)
    for key, value in config.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, YMap):
            for inner in ("name", "namespace"):
                if inner in value:
                    set_value(entry, inner, value[inner], value.value_span(inner), key_span=value.key_span(inner))
            continue
        set_value(entry, key, value, config.value_span(key), key_span=config.key_span(key))
    if not isinstance(entry.get("name"), str):
        raise BuildError(f"{kind} configuration needs metadata.name", span)
    return ("configMapGenerator" if kind == "ConfigMapGenerator" else "secretGenerator"), entry


def documents_of(load: Callable[[Any, Span], list[tuple[Any, Span]]], items: YList) -> list[tuple[YMap, Span]]:
    """The configurations an entry list names: file paths or inline YAML text (several documents each)."""
    found: list[tuple[YMap, Span]] = []
    for index, item in enumerate(items):
        span = items.item_span(index)
        for document, _ in load(item, span):
            if not isinstance(document, YMap):
                raise BuildError("a transformer or generator configuration must be a mapping", span)
            found.append((document, span))
    return found
