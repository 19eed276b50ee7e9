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


def insertion_point(node: YMap) -> Span | None:
    """Where a new entry of a block mapping can start: column 1 of the line after an entry whose value is
    a single-line scalar (the first such entry). None for flow mappings and mappings of collections only."""
    if block_layout(node) is None:
        return None
    for key, value in node.items():
        if isinstance(value, YMap | YList):
            continue
        key_span, value_span = node.key_span(key), node.value_span(key)
        if value_span.end_line == key_span.line:
            return Span.point(key_span.line + 1, 1)
    return None


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


def insert_entries(node: YMap, entries: list[tuple[str, Any]], root: Any, description: str) -> Fix | None:
    """An unsafe fix adding entries to a block mapping, indented as its keys are (nested levels by the
    file's own step)."""
    column = block_layout(node)
    where = insertion_point(node)
    if column is None or where is None:
        return None
    text = render_block(entries, column, indent_step(root))
    return Fix((Edit(where, text),), False, description)
