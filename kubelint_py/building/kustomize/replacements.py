"""`replacements`: copy a field of one object of the build into fields of others (kustomize's
ReplacementTransformer). A replaced value keeps the span of the source field that wrote it."""

from __future__ import annotations

from typing import Any

from kubelint_py.building.kustomize.nodes import Budget, BuildError, copy_tree, set_value
from kubelint_py.building.kustomize.transforms import Obj
from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap

MAX_REPLACEMENTS = 10_000
"""Replacement entries (with their targets' field paths) in one build."""


def split_path(path: str) -> list[str]:
    """`spec.containers.[name=app].image` -> ["spec", "containers", "[name=app]", "image"]; a bracket
    keeps its dots."""
    parts: list[str] = []
    current = ""
    depth = 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p != ""]


def _step(node: Any, part: str, create: bool, span: Span) -> list[tuple[Any, Any, Any]]:
    """(container, key or index, value) for one path step from node."""
    found: list[tuple[Any, Any, Any]] = []
    if part.startswith("[") and part.endswith("]"):
        inner = part[1:-1]
        if isinstance(node, YList):
            if "=" in inner:
                key, _, wanted = inner.partition("=")
                for index, item in enumerate(node):
                    if isinstance(item, YMap) and str(item.get(key)) == wanted:
                        found.append((node, index, item))
            elif inner.isdigit() and int(inner) < len(node):
                found.append((node, int(inner), node[int(inner)]))
        elif isinstance(node, YMap) and inner in node:  # an escaped key: [a.b/c]
            found.append((node, inner, node[inner]))
        return found
    if part == "*":
        if isinstance(node, YList):
            found.extend((node, i, v) for i, v in enumerate(node))
        elif isinstance(node, YMap):
            found.extend((node, k, v) for k, v in node.items())
        return found
    if isinstance(node, YList) and part.isdigit():
        index = int(part)
        if index < len(node):
            found.append((node, index, node[index]))
        return found
    if isinstance(node, YMap):
        if part in node:
            found.append((node, part, node[part]))
        elif create:
            made = YMap(span)
            set_value(node, part, made, span)
            found.append((node, part, made))
    return found


def _resolve(root: YMap, parts: list[str], create: bool, span: Span) -> list[tuple[Any, Any, Any]]:
    frontier: list[tuple[Any, Any, Any]] = [(None, None, root)]
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        following: list[tuple[Any, Any, Any]] = []
        for _, _, node in frontier:
            steps = _step(node, part, create and not last, span)
            if not steps and create and last and isinstance(node, YMap):
                following.append((node, part, None))
            following.extend(steps)
        frontier = following
    return frontier


def _selects(obj: Obj, select: YMap) -> bool:
    api = obj.body.get("apiVersion")
    group, _, version = (api if isinstance(api, str) else "").rpartition("/")
    for key, have in (("group", group), ("version", version), ("kind", obj.kind)):
        wanted = select.get(key)
        if wanted not in (None, "") and str(wanted) != have:
            return False
    name, namespace = select.get("name"), select.get("namespace")
    ids = [(obj.name, obj.namespace), *obj.old_names]
    if name not in (None, "") and not any(str(name) == n for n, _ in ids):
        return False
    if namespace not in (None, "") and not any(str(namespace) == (ns or "") for _, ns in ids):
        return False
    for key, section in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        wanted = select.get(key)
        if isinstance(wanted, str) and wanted:
            values = obj.meta.get_map(section)
            have_map = {str(k): str(v) for k, v in values.items()} if values is not None else {}
            for part in wanted.split(","):
                k, _, v = part.partition("=")
                if have_map.get(k.strip()) != v.strip():
                    return False
    return True


def _options(node: YMap | None) -> tuple[str | None, int, bool]:
    if node is None:
        return None, 0, False
    delimiter = node.get("delimiter")
    index = node.get("index")
    return (delimiter if isinstance(delimiter, str) and delimiter else None,
            index if isinstance(index, int) and not isinstance(index, bool) else 0,
            node.get("create") is True)


def apply(objs: list[Obj], entries: list[tuple[YMap, Span]], budget: Budget) -> None:
    """Run replacement entries (already loaded from files or inline) over the objects in order."""
    for entry, span in entries[:MAX_REPLACEMENTS]:
        source = entry.get_map("source")
        targets = entry.get_list("targets")
        if source is None or targets is None:
            raise BuildError("a replacement needs a source and targets", span)
        chosen = [o for o in objs if _selects(o, source)]
        if len(chosen) != 1:
            raise BuildError(f"a replacement source must select one object; it selects {len(chosen)}",
                             source.span)
        path = source.get("fieldPath")
        parts = split_path(str(path) if isinstance(path, str) and path else "metadata.name")
        found = _resolve(chosen[0].body, parts, False, span)
        if len(found) != 1 or found[0][2] is None:
            raise BuildError(f"replacement source field '{'.'.join(parts)}' not found", source.span)
        holder, key, value = found[0]
        value_span = holder.value_span(key) if isinstance(holder, YMap) else holder.item_span(key)
        delimiter, index, _ = _options(source.get_map("options"))
        if delimiter is not None and isinstance(value, str):
            pieces = value.split(delimiter)
            value = pieces[index] if 0 <= index < len(pieces) else ""
        for _, target in targets.maps():
            select = target.get_map("select")
            if select is None:
                raise BuildError("a replacement target needs select", target.span)
            reject_list = target.get_list("reject")
            rejects = [r for _, r in reject_list.maps()] if reject_list is not None else []
            paths = target.get_list("fieldPaths")
            t_delimiter, t_index, create = _options(target.get_map("options"))
            for obj in objs:
                if not _selects(obj, select) or any(_selects(obj, r) for r in rejects):
                    continue
                for raw in paths or ():
                    budget.spend(10)
                    steps = split_path(str(raw))
                    spots = _resolve(obj.body, steps, create, span)
                    if not spots:
                        raise BuildError(f"replacement target field '{raw}' not found in {obj.kind} '{obj.name}' "
                                         "(set options.create to add it)", target.span)
                    for spot_holder, spot_key, current in spots:
                        new = copy_tree(value, budget)
                        if t_delimiter is not None and isinstance(current, str):
                            pieces = current.split(t_delimiter)
                            if 0 <= t_index < len(pieces):
                                pieces[t_index] = str(new)
                            elif t_index < 0:
                                pieces.insert(0, str(new))
                            else:
                                pieces.append(str(new))
                            new = t_delimiter.join(pieces)
                        if isinstance(spot_holder, YMap):
                            set_value(spot_holder, spot_key, new, value_span)
                        elif isinstance(spot_holder, YList):
                            spot_holder[spot_key] = new
                            if spot_key < len(spot_holder.item_spans):
                                spot_holder.item_spans[spot_key] = value_span
