"""Plain YAML values that remember where they came from.

A mapping is a dict and a sequence is a list, so rules, jsonschema and json.dumps treat them as
ordinary data; positions sit beside the data in slots instead of being mixed into it (mixing them in is
how peers end up reporting the whole object instead of the field).

Both pickle with the default protocol-2 path (a C-level NEWOBJ, SETITEMS/APPENDS and slot BUILD, no
Python call per node): that is what makes the parse cache and parallel parsing cheap.
"""

from __future__ import annotations

from typing import Any

from kubelint_py.core.source import Span

_NO_SPAN = Span(1, 1, 1, 1)


class YMap(dict[Any, Any]):
    """A YAML mapping with the span of itself, of each key and of each value."""

    __slots__ = ("key_spans", "span", "value_spans")

    def __init__(self, span: Span = _NO_SPAN) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[Any, Span] = {}
        self.value_spans: dict[Any, Span] = {}

    def key_span(self, key: Any) -> Span:
        """Where `key:` is written; the mapping itself when the key is absent."""
        return self.key_spans.get(key, self.span)

    def value_span(self, key: Any) -> Span:
        """Where the value of `key` is written; falls back to the key, then the mapping."""
        found = self.value_spans.get(key)
        if found is not None:
            return found
        return self.key_span(key)

    def get_map(self, key: Any) -> YMap | None:
        value = self.get(key)
        return value if isinstance(value, YMap) else None

    def get_list(self, key: Any) -> YList | None:
        value = self.get(key)
        return value if isinstance(value, YList) else None

    def get_str(self, key: Any) -> str | None:
        value = self.get(key)
        return value if isinstance(value, str) else None



class YList(list[Any]):
    """A YAML sequence with the span of itself and of each item."""

    __slots__ = ("item_spans", "span")

    def __init__(self, span: Span = _NO_SPAN) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []

    def item_span(self, index: int) -> Span:
        if 0 <= index < len(self.item_spans):
            return self.item_spans[index]
        return self.span

    def maps(self) -> list[tuple[int, YMap]]:
        """The items that are mappings, with their index (others are skipped, never crash a rule)."""
        return [(i, item) for i, item in enumerate(self) if isinstance(item, YMap)]



def span_at(root: Any, path: tuple[Any, ...] | list[Any], *, key: bool = False) -> Span | None:
    """The span of the value (or, with key=True, of the key) found by following `path` from `root`.

    Stops at the deepest node that exists, so a path into a missing field still points at its parent.
    """
    node = root
    best: Span | None = node.span if isinstance(node, YMap | YList) else None
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, YMap) and step in node:
            best = node.key_span(step) if (key and last) else node.value_span(step)
            node = node[step]
        elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_span(step)
            node = node[step]
        else:
            break
    return best
