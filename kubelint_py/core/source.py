"""Positions in source files. Lines and columns are 1-based everywhere."""

from __future__ import annotations

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


class FileSpan(Span):
    """A span that also names its file: the values of an object built from several files (a kustomize
    overlay) keep the file that wrote each one. A Span with a fifth item, so every Span user takes it."""

    __slots__ = ()

    def __new__(cls, path: str, span: Span) -> FileSpan:
        return tuple.__new__(cls, (span[0], span[1], span[2], span[3], path))

    @property
    def path(self) -> str:
        return self[4]  # type: ignore[no-any-return, misc]

    def __repr__(self) -> str:
        return f"FileSpan({self.path!r}, {tuple(self[:4])!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple.__new__, (FileSpan, tuple(self)))


class _LocationFields(NamedTuple):
    path: str
    line: int
    column: int = 1
    end_line: int = 0
    end_column: int = 0


class Location(_LocationFields):
    """A span in a named file; the path is as the user gave it (relative where possible). A named tuple,
    like Span: built for every finding and reference, and a frozen dataclass costs a millisecond of
    start-up per class (its methods are compiled from source at import)."""

    __slots__ = ()

    def __new__(cls, path: str, line: int, column: int = 1, end_line: int = 0, end_column: int = 0) -> Location:
        if end_line < line:
            end_line = line
        if end_line == line and end_column < column:
            end_column = column
        return super().__new__(cls, path, line, column, end_line, end_column)

    @staticmethod
    def of(path: str, span: Span | None) -> Location:
        if span is None:
            return Location(path, 1, 1)
        if len(span) == 5:  # a FileSpan: the value was written in another file than the object's
            path = span[4]
        return Location(path, span.line, span.column, span.end_line, span.end_column)

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.column)
