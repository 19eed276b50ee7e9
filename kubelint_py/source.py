"""Positions in source files. Lines and columns are 1-based everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Span(NamedTuple):
    """A region inside one file: start and end, 1-based, end column exclusive.

    A named tuple rather than a frozen dataclass: every key, value and item of every loaded file has one
    or two, and tuples are built and unpickled (the cache) in C, several times faster.
    """

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(line: int, column: int = 1) -> Span:
        return Span(line, column, line, column)

    def __reduce__(self) -> tuple[Any, ...]:
        # tuple.__new__ builds the instance without calling the Python-level __new__ of a named tuple.
        return (tuple.__new__, (Span, tuple(self)))


@dataclass(frozen=True, slots=True)
class Location:
    """A span in a named file; the path is as the user gave it (relative where possible)."""

    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0

    def __post_init__(self) -> None:
        if self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)
        if self.end_line == self.line and self.end_column < self.column:
            object.__setattr__(self, "end_column", self.column)

    @staticmethod
    def of(path: str, span: Span | None) -> Location:
        if span is None:
            return Location(path, 1, 1)
        return Location(path, span.line, span.column, span.end_line, span.end_column)

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.column)
