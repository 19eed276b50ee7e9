"""Rendered output -> Kubernetes models located in the template that produced them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap

MAX_MAPPED_NODES = 2_000_000


@dataclass
class LineTable:
    """For one rendered output: the template line of each output line, and the texts to align columns."""

    owners: list[int]
    """Per output line (0-based): template line (1-based); 0 when unknown."""
    output: list[str]
    template: list[str]
    skipped: list[tuple[int, int]] = field(default_factory=list)
    _shapes: dict[int, tuple[bool, int, int, int]] = field(default_factory=dict, repr=False)

    def line(self, output_line: int) -> int:
        """Template line (1-based) for an output line (1-based)."""
        index = output_line - 1
        if 0 <= index < len(self.owners) and self.owners[index]:
            return self.owners[index]
        if index >= len(self.owners) and self.owners and self.owners[-1]:
            return self.owners[-1]  # the end of the output (where a parser reports an unclosed bracket)
        return 1

    def _shape(self, output_line: int) -> tuple[bool, int, int, int]:
        """(copied verbatim, common prefix, column of the first `{{`, template line length) of a line."""
        found = self._shapes.get(output_line)
        if found is None:
            index = output_line - 1
            template_line = self.line(output_line)
            rendered = self.output[index] if 0 <= index < len(self.output) else ""
            written = self.template[template_line - 1] if 0 < template_line <= len(self.template) else ""
            common = 0
            for a, b in zip(rendered, written, strict=False):
                if a != b:
                    break
                common += 1
            action = written.find("{{")
            found = self._shapes[output_line] = (rendered == written, common,
                                                 action + 1 if action >= 0 else common + 1, len(written))
        return found

    def column(self, output_line: int, column: int, *, end: bool = False) -> int:
        """Columns on a line copied verbatim stay; past the first difference, the first `{{` of the
        template line (where the expression that produced the text starts), or its end for an end column."""
        verbatim, common, action, length = self._shape(output_line)
        if verbatim or column - 1 < common or (end and column - 1 == common):
            return column
        return length + 1 if end else action

    def span(self, span: Span) -> Span:
        line = self.line(span.line)
        end_line = self.line(span.end_line)
        column = self.column(span.line, span.column)
        end_column = self.column(span.end_line, span.end_column, end=True)
        if end_line < line or (end_line == line and end_column < column):
            end_line, end_column = line, max(column, end_column if end_line == line else column)
        return Span(line, column, end_line, end_column)


def align(output: list[str], template: list[str]) -> list[int]:
    """Fallback when the marked render could not be used: each output line to the next template line with
    the same text (stripped), else to the line before it."""
    owners: list[int] = []
    stripped = [line.strip() for line in template]
    position = 0
    last = 1
    for text in output:
        key = text.strip()
        found = 0
        if key:
            for index in range(position, min(len(stripped), position + 400)):
                if stripped[index] == key:
                    found = index + 1
                    break
        if found:
            position = found
            last = found
        owners.append(found or last)
    return owners


def remap(root: Any, table: LineTable) -> None:
    """Rewrite, in place, every span of a parsed document from output lines to template lines."""
    stack: list[Any] = [root]
    seen = 0
    cache: dict[Span, Span] = {}

    def moved(span: Span) -> Span:
        found = cache.get(span)
        if found is None:
            found = cache[span] = table.span(span)
        return found

    visited: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in visited:  # an alias: the same node twice
            continue
        visited.add(id(node))
        seen += 1
        if seen > MAX_MAPPED_NODES:
            return
        if isinstance(node, YMap):
            node.span = moved(node.span)
            node.key_spans = {key: moved(span) for key, span in node.key_spans.items()}
            node.value_spans = {key: moved(span) for key, span in node.value_spans.items()}
            stack.extend(value for value in node.values() if isinstance(value, YMap | YList))
        elif isinstance(node, YList):
            node.span = moved(node.span)
            node.item_spans = [moved(span) for span in node.item_spans]
            stack.extend(value for value in node if isinstance(value, YMap | YList))


def output_lines_for(table: LineTable, template_line: int) -> Iterator[int]:
    """Output lines (1-based) that a template line produced."""
    for index, owner in enumerate(table.owners):
        if owner == template_line:
            yield index + 1
