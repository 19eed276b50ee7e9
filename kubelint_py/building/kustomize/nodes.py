"""Located YAML trees for building: copies whose spans name their file (FileSpan), and setters that
record where a new value was written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubelint_py.core.source import FileSpan, Span
from kubelint_py.models.located import YList, YMap


class BuildError(Exception):
    """A kustomization that cannot be built (kustomize would fail too): reported at `span`. `missing` is
    (folder, entry) when the cause is an input file or folder that is not there: the kustomization in
    real folder `folder` names `entry`."""

    def __init__(self, message: str, span: Span | None = None, missing: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.missing = missing


class Unsupported(Exception):
    """A kustomization that uses what is not built offline: its root is linted as loose files."""

    def __init__(self, field: str, span: Span | None = None, detail: str = "") -> None:
        super().__init__(field)
        self.field = field
        self.span = span
        self.detail = detail


class Budget:
    """Work allowed for one root: repositories are untrusted, every loop over their data is counted."""

    def __init__(self, nodes: int = 2_000_000) -> None:
        self.nodes = nodes

    def spend(self, amount: int = 1) -> None:
        self.nodes -= amount
        if self.nodes < 0:
            raise BuildError("the build is too large to lint (over the node budget); linted as loose files")


def _fs(path: str | None, span: Span) -> Span:
    if path is None or len(span) == 5:
        return span
    return FileSpan(path, span)


def copy_tree(node: Any, budget: Budget, path: str | None = None) -> Any:
    """A deep copy of a located tree (iterative: no recursion limit). With `path`, spans that do not yet
    name a file are made to name `path`."""
    if not isinstance(node, YMap | YList):
        return node
    root = _shell(node, path)
    stack: list[tuple[Any, Any]] = [(node, root)]
    while stack:
        source, target = stack.pop()
        budget.spend(len(source) + 1)
        if isinstance(source, YMap):
            for key, value in source.items():
                if isinstance(value, YMap | YList):
                    child = _shell(value, path)
                    stack.append((value, child))
                    value = child
                dict.__setitem__(target, key, value)
        else:
            for value in source:
                if isinstance(value, YMap | YList):
                    child = _shell(value, path)
                    stack.append((value, child))
                    value = child
                list.append(target, value)
    return root


def _shell(node: YMap | YList, path: str | None) -> YMap | YList:
    if isinstance(node, YMap):
        made = YMap(_fs(path, node.span))
        if path is None:
            made.key_spans = dict(node.key_spans)
            made.value_spans = dict(node.value_spans)
        else:
            made.key_spans = {k: _fs(path, s) for k, s in node.key_spans.items()}
            made.value_spans = {k: _fs(path, s) for k, s in node.value_spans.items()}
        return made
    listed = YList(_fs(path, node.span))
    listed.item_spans = list(node.item_spans) if path is None else [_fs(path, s) for s in node.item_spans]
    return listed


def set_value(node: YMap, key: Any, value: Any, span: Span, *, key_span: Span | None = None) -> None:
    """node[key] = value, written at span (the key keeps its own span when it was there already)."""
    if key not in node.key_spans:
        node.key_spans[key] = key_span or span
    node[key] = value
    node.value_spans[key] = span


def ensure_map(node: YMap, key: Any, span: Span) -> YMap:
    """node[key] as a mapping, created (written at span) when absent or null."""
    found = node.get(key)
    if isinstance(found, YMap):
        return found
    made = YMap(span)
    set_value(node, key, made, span)
    return made


def plain(node: Any) -> Any:
    """The data without positions (for comparisons and hashing)."""
    if isinstance(node, YMap):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, YList):
        return [plain(v) for v in node]
    return node


def from_plain(value: Any, span: Span) -> Any:
    """Located nodes for plain data, every span `span`."""
    if isinstance(value, dict):
        made = YMap(span)
        for k, v in value.items():
            set_value(made, k, from_plain(v, span), span)
        return made
    if isinstance(value, list):
        listed = YList(span)
        for v in value:
            listed.append(from_plain(v, span))
            listed.item_spans.append(span)
        return listed
    return value


def holders(node: Any, path: tuple[str, ...], create: bool, span: Span) -> Iterator[tuple[YMap, str]]:
    """(mapping, key) of every field at path (lists are stepped through); with create, missing mappings
    on the way are made (written at span)."""
    if not path:
        return
    frontier: list[Any] = [node]
    for step in path[:-1]:
        following: list[Any] = []
        for item in frontier:
            if isinstance(item, YList):
                following.extend(v for v in item if isinstance(v, YMap | YList))
                continue
            if not isinstance(item, YMap):
                continue
            value = item.get(step)
            if value is None and create:
                value = ensure_map(item, step, span)
            if isinstance(value, YList):
                following.extend(v for v in value if isinstance(v, YMap | YList))
            elif isinstance(value, YMap):
                following.append(value)
        frontier = following
    last = path[-1]
    for item in frontier:
        if isinstance(item, YList):
            for inner in item:
                if isinstance(inner, YMap) and (last in inner or create):
                    yield inner, last
        elif isinstance(item, YMap) and (last in item or create):
            yield item, last
