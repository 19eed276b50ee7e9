"""Positions and edits in the editor's terms, without the protocol library: LSP counts lines from 0 and
columns in UTF-16 code units, kubelint-py from 1 in code points. Also the suppression comments the
quick fixes insert, written with the line's own indentation.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from kubelint_py.core.source import Location
from kubelint_py.results.suppress import yaml_comment_start

_PRAGMA = re.compile(r"kubelint:\s*ignore\s*=\s*[\w./-]+(?:\s*,\s*[\w./-]+)*")
_DIRECTIVE = re.compile(r"#\s*(syntax|escape|check)\s*=", re.IGNORECASE)


class Position(NamedTuple):
    line: int
    """0-based."""
    character: int
    """0-based, in UTF-16 code units."""


class TextEdit(NamedTuple):
    start: Position
    end: Position
    new_text: str


def utf16_column(line_text: str, code_points: int) -> int:
    """UTF-16 code units in the first `code_points` characters of the line (astral characters count 2)."""
    prefix = line_text[:code_points]
    return len(prefix) + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def code_points(line_text: str, utf16: int) -> int:
    """The inverse of utf16_column: characters covered by `utf16` code units."""
    units = 0
    for index, ch in enumerate(line_text):
        if units >= utf16:
            return index
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line_text)


def lsp_range(location: Location, lines: list[str]) -> tuple[Position, Position]:
    """The editor range of a finding. A zero-width location (a whole object, a line) is widened to the
    rest of its line, so the editor has something to underline."""
    def line_text(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    start_text = line_text(location.line)
    start = Position(max(location.line - 1, 0), utf16_column(start_text, max(location.column - 1, 0)))
    end_line, end_column = location.end_line, location.end_column
    if (end_line, end_column) <= (location.line, location.column):
        end_line, end_column = location.line, len(start_text.rstrip("\r")) + 1
        if end_column <= location.column:  # an empty line or a position past its end
            end_column = location.column
    end_text = line_text(end_line)
    end = Position(max(end_line - 1, 0), utf16_column(end_text, max(end_column - 1, 0)))
    return start, end


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def suppress_line_edit(kind: str, code: str, lines: list[str], line: int, first_line: int | None = None) -> TextEdit:
    """Silence `code` at 1-based `line`.

    YAML: extend a `# kubelint: ignore=` comment already on the line, else end the line with one when it
    has no comment, else put the comment alone on the line above (which covers the next line).
    Dockerfile: the comment goes on the line above the instruction (first_line: where it starts)."""
    if kind == "dockerfile":
        target = (first_line or line) - 1
        above = lines[target - 1] if target > 0 else ""
        match = _PRAGMA.search(above) if above.lstrip().startswith("#") else None
        if match is not None:
            column = utf16_column(above, match.end())
            return TextEdit(Position(target - 1, column), Position(target - 1, column), f",{code}")
        text = lines[target] if target < len(lines) else ""
        return TextEdit(Position(target, 0), Position(target, 0), f"{_indent(text)}# kubelint: ignore={code}\n")
    index = line - 1
    text = lines[index] if index < len(lines) else ""
    comment = yaml_comment_start(text)
    if comment is not None:
        match = _PRAGMA.search(text, comment)
        if match is not None:
            column = utf16_column(text, match.end())
            return TextEdit(Position(index, column), Position(index, column), f",{code}")
        return TextEdit(Position(index, 0), Position(index, 0), f"{_indent(text)}# kubelint: ignore={code}\n")
    body = text.rstrip("\r")
    end = utf16_column(body, len(body.rstrip()))
    return TextEdit(Position(index, end), Position(index, utf16_column(body, len(body))),
                    f"  # kubelint: ignore={code}")


def suppress_file_edit(kind: str, code: str, lines: list[str]) -> TextEdit:
    """Silence `code` in the whole file: `# kubelint: ignore-file=CODE` at the top (in a Dockerfile, after
    its parser directives, which must stay first)."""
    at = 0
    if kind == "dockerfile":
        while at < len(lines) and _DIRECTIVE.match(lines[at].strip()):
            at += 1
    return TextEdit(Position(at, 0), Position(at, 0), f"# kubelint: ignore-file={code}\n")


def position_at(text: str, offset: int) -> Position:
    """The editor position of a character offset into `text`."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return Position(line, utf16_column(text[start:offset], offset - start))


def replacing(old: str, new: str) -> TextEdit | None:
    """One edit that turns `old` into `new`: the changed middle, so the editor keeps cursors and folds
    outside it (None when nothing changes)."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return TextEdit(position_at(old, prefix), position_at(old, len(old) - suffix), new[prefix:len(new) - suffix])
