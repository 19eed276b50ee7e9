"""Patches as kustomize applies them: strategic merge (with the list merge keys of the built-in kinds and
`$patch: delete/replace`) and JSON 6902 operations. Values a patch writes keep the patch's spans."""

from __future__ import annotations

from typing import Any

from kubelint_py.building.kustomize.nodes import Budget, BuildError, copy_tree, plain
from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap

# List merge keys of the built-in kinds (the `patchMergeKey` of the Kubernetes API types), by field name.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "ports": ("containerPort", "port"),  # container ports, then Service ports
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "webhooks": ("name",),  # Mutating/ValidatingWebhookConfiguration (patchMergeKey name)
}


def is_builtin(api_version: str) -> bool:
    """Kinds whose schema kustomize knows (core and *.k8s.io groups): only their lists merge by key."""
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return group == "" or "." not in group or group.endswith(".k8s.io")


def _strip(node: Any, budget: Budget) -> Any:
    """A copy of patch data without `$patch`/`$setElementOrder`-style directives."""
    made = copy_tree(node, budget)
    stack = [made]
    while stack:
        item = stack.pop()
        if isinstance(item, YMap):
            # Directives, and nulls (a patch's "delete this field") are not data to insert.
            for key in [k for k, v in item.items() if (isinstance(k, str) and k.startswith("$")) or v is None]:
                del item[key]
            stack.extend(v for v in item.values() if isinstance(v, YMap | YList))
        elif isinstance(item, YList):
            keep = [(v, s) for i, (v, s) in enumerate(zip(item, _spans(item), strict=True))
                    if not (isinstance(v, YMap) and v.get("$patch") == "delete")]
            item[:] = [v for v, _ in keep]
            item.item_spans = [s for _, s in keep]
            stack.extend(v for v in item if isinstance(v, YMap | YList))
    return made


def _spans(items: YList) -> list[Span]:
    return [items.item_span(i) for i in range(len(items))]


def drop_empty_nulls(root: YMap, budget: Budget) -> None:
    """Remove fields written with no value at all (`key:`): kyaml's merge clears them from an object it
    patches (an explicit `null` or `~` stays)."""
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        budget.spend()
        if isinstance(node, YMap):
            for key in [k for k, v in node.items() if v is None and _empty(node.value_spans.get(k))]:
                del node[key]
            stack.extend(v for v in node.values() if isinstance(v, YMap | YList))
        elif isinstance(node, YList):
            stack.extend(v for v in node if isinstance(v, YMap | YList))


def _empty(span: Span | None) -> bool:
    return span is not None and span[0] == span[2] and span[1] == span[3]


def strategic_merge(target: YMap, patch: YMap, builtin: bool, budget: Budget) -> None:
    """Apply a strategic merge patch to target in place (kustomize's kyaml merge)."""
    drop_empty_nulls(target, budget)
    if patch.get("$patch") == "replace":
        replacement = _strip(patch, budget)
        for key in [k for k in target if k not in ("apiVersion", "kind", "metadata")]:
            del target[key]
        for key, value in replacement.items():
            target[key] = value
            target.key_spans[key] = replacement.key_span(key)
            target.value_spans[key] = replacement.value_span(key)
        return
    _merge_map(target, patch, builtin, budget)


def _merge_map(target: YMap, patch: YMap, builtin: bool, budget: Budget) -> None:
    budget.spend(len(patch) + 1)
    for key, value in patch.items():
        if isinstance(key, str) and key.startswith("$"):
            continue
        if value is None:
            target.pop(key, None)
            continue
        current = target.get(key)
        if isinstance(value, YMap):
            directive = value.get("$patch")
            if directive == "delete":
                target.pop(key, None)
                continue
            if isinstance(current, YMap) and directive != "replace":
                _merge_map(current, value, builtin, budget)
                continue
            _put(target, key, _strip(value, budget), patch)
        elif isinstance(value, YList):
            keys = MERGE_KEYS.get(key) if builtin and isinstance(key, str) else None
            if keys is not None and isinstance(current, YList):
                _merge_list(current, value, keys, builtin, budget)
            else:
                _put(target, key, _strip(value, budget), patch)
        elif key not in target or current != value or type(current) is not type(value):
            _put(target, key, value, patch)  # a value the patch only restates keeps its first line


def _put(target: YMap, key: Any, value: Any, patch: YMap) -> None:
    if key not in target.key_spans:
        target.key_spans[key] = patch.key_span(key)
    target[key] = value
    target.value_spans[key] = patch.value_span(key)


def _key_of(item: Any, keys: tuple[str, ...]) -> tuple[str, Any] | None:
    if not isinstance(item, YMap):
        return None
    for key in keys:
        if key in item:
            return key, plain(item[key])
    return None


def _merge_list(target: YList, patch: YList, keys: tuple[str, ...], builtin: bool, budget: Budget) -> None:
    budget.spend(len(patch) * (len(target) + 1))
    if any(isinstance(v, YMap) and v.get("$patch") == "replace" for v in patch):
        replacement = _strip(patch, budget)
        kept = [(v, s) for v, s in zip(replacement, _spans(replacement), strict=True)
                if not (isinstance(v, YMap) and not v)]
        target[:] = [v for v, _ in kept]
        target.item_spans = [s for _, s in kept]
        return
    # The result (as kustomize gives it): the patch's items in the patch's order (merged into the item
    # they name when there is one), then the other items in their order.
    first: list[tuple[Any, Span]] = []
    used: set[int] = set()
    for index, item in enumerate(patch):
        found = _key_of(item, keys)
        if found is None:
            continue
        position = next((i for i, have in enumerate(target) if i not in used and _key_of(have, (found[0],)) == found),
                        None)
        if position is not None:
            used.add(position)
        if isinstance(item, YMap) and item.get("$patch") == "delete":
            continue
        if position is not None and isinstance(target[position], YMap):
            _merge_map(target[position], item, builtin, budget)
            first.append((target[position], target.item_span(position)))
        else:
            first.append((_strip(item, budget), patch.item_span(index)))
    rest = [(v, target.item_span(i)) for i, v in enumerate(target) if i not in used]
    target[:] = [v for v, _ in first] + [v for v, _ in rest]
    target.item_spans = [s for _, s in first] + [s for _, s in rest]


# --- JSON 6902 --------------------------------------------------------------------------------------


def _pointer(path: Any, span: Span) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise BuildError(f"JSON patch path {path!r} is not a JSON pointer", span)
    if path == "":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _resolve(root: YMap, parts: list[str], span: Span) -> Any:
    node: Any = root
    for part in parts:
        if isinstance(node, YMap):
            key = _map_key(node, part)
            if key is None:
                raise BuildError(f"JSON patch path: no field '{part}'", span)
            node = node[key]
        elif isinstance(node, YList):
            node = node[_index(node, part, span, allow_end=False)]
        else:
            raise BuildError(f"JSON patch path: '{part}' is inside a scalar", span)
    return node


def _map_key(node: YMap, part: str) -> Any:
    if part in node:
        return part
    for key in node:  # keys read as numbers or booleans by YAML
        if str(key) == part:
            return key
    return None


def _index(node: YList, part: str, span: Span, *, allow_end: bool) -> int:
    if part == "-" and allow_end:
        return len(node)
    if not part.isdigit() or (len(part) > 1 and part.startswith("0")):
        raise BuildError(f"JSON patch path: '{part}' is not a list index", span)
    index = int(part)
    if index > len(node) or (index == len(node) and not allow_end):
        raise BuildError(f"JSON patch path: index {index} is out of range", span)
    return index


def _add(root: YMap, parts: list[str], value: Any, value_span: Span, span: Span) -> None:
    if not parts:
        raise BuildError("JSON patch cannot replace the whole object", span)
    parent = _resolve(root, parts[:-1], span)
    last = parts[-1]
    if isinstance(parent, YMap):
        key = _map_key(parent, last)
        key = last if key is None else key
        if key not in parent.key_spans:
            parent.key_spans[key] = value_span
        parent[key] = value
        parent.value_spans[key] = value_span
    elif isinstance(parent, YList):
        index = _index(parent, last, span, allow_end=True)
        spans = _spans(parent)
        parent.insert(index, value)
        spans.insert(index, value_span)
        parent.item_spans = spans
    else:
        raise BuildError(f"JSON patch path: '{last}' is inside a scalar", span)


def _remove(root: YMap, parts: list[str], span: Span) -> tuple[Any, Span]:
    if not parts:
        raise BuildError("JSON patch cannot remove the whole object", span)
    parent = _resolve(root, parts[:-1], span)
    last = parts[-1]
    if isinstance(parent, YMap):
        key = _map_key(parent, last)
        if key is None:
            raise BuildError(f"JSON patch path: no field '{last}' to remove", span)
        old_span = parent.value_span(key)
        parent.key_spans.pop(key, None)
        parent.value_spans.pop(key, None)
        return parent.pop(key), old_span
    if isinstance(parent, YList):
        index = _index(parent, last, span, allow_end=False)
        spans = _spans(parent)
        old_span = spans.pop(index)
        parent.item_spans = spans
        return parent.pop(index), old_span
    raise BuildError(f"JSON patch path: '{last}' is inside a scalar", span)


def json6902(target: YMap, operations: Any, span: Span, budget: Budget) -> None:
    """Apply a list of JSON 6902 operations (located YAML) to target in place."""
    if not isinstance(operations, YList):
        raise BuildError("a JSON 6902 patch must be a list of operations", span)
    for position, operation in enumerate(operations):
        budget.spend(10)
        where = operations.item_span(position)
        if not isinstance(operation, YMap):
            raise BuildError("a JSON 6902 operation must be a mapping", where)
        op = operation.get("op")
        parts = _pointer(operation.get("path"), operation.value_span("path"))
        if op in ("add", "replace", "test"):
            if "value" not in operation:
                raise BuildError(f"JSON patch '{op}' without a value", where)
            value = copy_tree(operation["value"], budget)
            value_span = operation.value_span("value")
            if op == "test":
                if plain(_resolve(target, parts, where)) != plain(value):
                    raise BuildError("JSON patch 'test' failed: the value differs", where)
                continue
            if op == "replace":
                parent = _resolve(target, parts[:-1], where) if parts else None
                # kustomize's JSON patch replaces a missing mapping key by adding it
                if not (isinstance(parent, YMap) and parts and _map_key(parent, parts[-1]) is None):
                    _remove(target, parts, where)
            _add(target, parts, value, value_span, where)
        elif op == "remove":
            _remove(target, parts, where)
        elif op in ("move", "copy"):
            source = _pointer(operation.get("from"), operation.value_span("from"))
            if op == "move":
                value, value_span = _remove(target, source, where)
            else:
                value = copy_tree(_resolve(target, source, where), budget)
                value_span = operation.value_span("from")
            _add(target, parts, value, value_span, where)
        else:
            raise BuildError(f"unknown JSON patch operation {op!r}", where)
