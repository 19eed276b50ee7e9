"""Text edits for fixes in YAML files, computed from the located model's spans alone.

Each builder returns None when the spans do not show the simple layout it knows how to edit (a
flow mapping, a multi-line scalar, an unexpected width); the fix engine (results/fixes.py) parses the
edited text again and refuses any edit that changes more than it meant to, so a builder errs on the
side of returning None.
"""

from __future__ import annotations

from typing import Any

from kubelint_py.core.source import Span
from kubelint_py.engine.registry import Edit, Fix
from kubelint_py.models.located import YList, YMap


def _single_line(span: Span) -> bool:
    return span.end_line == span.line and span.end_column > span.column


def replace_scalar(span: Span, old: str, new: str) -> Edit | None:
    """Replace a single-line scalar whose value is `old`: plain, or quoted (then only the text inside the
    quotes changes, so a JSON file stays JSON). None when the width shows escapes or another layout."""
    if not _single_line(span):
        return None
    width = span.end_column - span.column
    if width == len(old):
        return Edit(span, new)
    if width == len(old) + 2:
        return Edit(Span(span.line, span.column + 1, span.line, span.end_column - 1), new)
    return None


def quote_plain(span: Span) -> tuple[Edit, Edit] | None:
    """Double quotes around a single-line plain scalar (whose text needs no escaping: a number or a
    boolean spelling, the only plain scalars that are not strings)."""
    if not _single_line(span):
        return None
    return (Edit(Span.point(span.line, span.column), '"'), Edit(Span.point(span.end_line, span.end_column), '"'))


def delete_top_level_entry(node: YMap, key: Any) -> Edit | None:
    """Delete `key: value` of a document's block mapping, whole lines (the key at column 1, the value on
    the key's line)."""
    if key not in node.key_spans:
        return None
    key_span, value_span = node.key_span(key), node.value_span(key)
    if key_span.column != 1 or value_span.end_line != key_span.line:
        return None
    return Edit(Span(key_span.line, 1, key_span.line + 1, 1), "")


def block_layout(node: YMap) -> int | None:
    """The column of a block mapping's keys (each on its own line, all in one column); None otherwise."""
    spans = list(node.key_spans.values())
    if not spans:
        return None
    column = spans[0].column
    lines = {span.line for span in spans}
    if len(lines) != len(spans) or any(span.column != column for span in spans):
        return None
    if (node.span.line, node.span.column) != min((span.line, span.column) for span in spans):
        return None  # a flow mapping starts at its `{`, before its first key
    return column


def indent_step(root: Any, default: int = 2) -> int:
    """How far the file indents a nested block mapping under its key (the first example found)."""
    stack: list[Any] = [root]
    budget = 2000
    while stack and budget > 0:
        budget -= 1
        node = stack.pop()
        if isinstance(node, YMap):
            for key, value in node.items():
                if isinstance(value, YMap) and value.key_spans:
                    key_span = node.key_span(key)
                    first = min(value.key_spans.values())
                    if first.line > key_span.line and first.column > key_span.column:
                        return first.column - key_span.column
                stack.append(value)
        elif isinstance(node, YList):
            stack.extend(node)
    return default


def insertion_point(node: YMap, under: Span | None = None) -> Span | None:
    """Where a new entry of a block mapping can start: column 1 of the line after an entry whose value is
    a single-line scalar (the first such entry); else, for a mapping that is the value of the key at
    `under` and starts on a later line (so its first key has only indentation before it), column 1 of its
    first line. None for flow mappings and otherwise."""
    if block_layout(node) is None:
        return None
    for key, value in node.items():
        if isinstance(value, YMap | YList):
            continue
        key_span, value_span = node.key_span(key), node.value_span(key)
        if value_span.end_line == key_span.line:
            return Span.point(key_span.line + 1, 1)
    first = min(node.key_spans.values())
    if under is not None and first.line > under.end_line:
        return Span.point(first.line, 1)
    return None


def is_empty_flow(node: YMap | YList) -> bool:
    """`{}` or `[]`: an empty mapping or sequence can only be written in flow style, and its span (which
    ends where its closing bracket starts) is one column wide."""
    span = node.span
    return not node and span.line == span.end_line and span.end_column - span.column == 1


def _brackets(node: YMap | YList) -> Span:
    """An empty flow collection with its closing bracket."""
    return Span(node.span.line, node.span.column, node.span.line, node.span.column + 2)


def append_to_flow_list(node: YList, item: str) -> Edit | None:
    """`[A, B]` -> `[A, B, "item"]`, for a one-line flow sequence of scalars written without a blank after
    `[` (its first item then starts one column after the sequence: a block sequence's items start two or
    more after their dash)."""
    span = node.span
    if is_empty_flow(node):
        return Edit(_brackets(node), f'["{item}"]')
    if span.line != span.end_line or any(isinstance(value, YMap | YList) for value in node):
        return None
    first, last = node.item_spans[0], node.item_spans[-1]
    if first.column != span.column + 1 or last.end_line != span.line:
        return None
    return Edit(Span.point(last.end_line, last.end_column), f', "{item}"')


def render_block(entries: list[tuple[str, Any]], column: int, step: int) -> str:
    """Block YAML for a small nested structure (str keys; dict, list of str, bool or str leaves), each line
    indented to start at `column`."""
    lines: list[str] = []

    def emit(items: list[tuple[str, Any]], indent: int) -> None:
        pad = " " * (indent - 1)
        for key, value in items:
            if isinstance(value, dict):
                lines.append(f"{pad}{key}:")
                emit(list(value.items()), indent + step)
            elif isinstance(value, list):
                lines.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]")
            else:
                lines.append(f"{pad}{key}: {_scalar(value)}")

    emit(entries, column)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def render_flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {render_flow(inner)}" for key, inner in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    return _scalar(value)


def insert_entries(node: YMap, entries: list[tuple[str, Any]], root: Any, description: str,
                   under: Span | None = None) -> Fix | None:
    """An unsafe fix adding entries to a block mapping, indented as its keys are (nested levels by the
    file's own step), or filling an empty `{}`. `under`: the key whose value the mapping is."""
    if is_empty_flow(node):
        return Fix((Edit(_brackets(node), render_flow(dict(entries))),), False, description)
    column = block_layout(node)
    where = insertion_point(node, under)
    if column is None or where is None:
        return None
    text = render_block(entries, column, indent_step(root))
    return Fix((Edit(where, text),), False, description)
