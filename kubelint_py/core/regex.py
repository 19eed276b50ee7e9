"""Regular expressions that a linted repository controls, matched in linear time.

CRD `pattern:`/`patternProperties` values, policy regexes from a configuration file and .dockerignore
globs are written by whoever sends the pull request. Python's `re` backtracks: `^(a+)+$` against
thirty `a`s and a `b` takes minutes. They are matched with RE2 (the `google-re2` package), whose time is
linear in the text whatever the pattern. RE2 has no lookaround and no backreferences: such a pattern
compiles to None, and the caller says what it could not check.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

try:
    import re2 as _re2
except ImportError:  # pragma: no cover - google-re2 is a dependency; a platform without a wheel
    _re2 = None

MAX_MEMORY = 64 << 20
"""Bytes RE2 may use for one compiled pattern (its DFA cache); a larger program fails to compile."""


class LinearPattern(Protocol):
    def search(self, text: str) -> Any: ...

    def match(self, text: str) -> Any: ...


def available() -> bool:
    return _re2 is not None


@lru_cache(maxsize=4096)
def compile_linear(pattern: str, *, dotall: bool = False, ignore_case: bool = False) -> LinearPattern | None:
    """The pattern compiled for linear-time matching, or None when RE2 cannot express it (or is missing)."""
    if _re2 is None or not isinstance(pattern, str):
        return None
    options = _re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEMORY
    options.dot_nl = dotall
    options.case_sensitive = not ignore_case
    try:
        compiled: LinearPattern = _re2.compile(pattern, options)
    except (_re2.error, TypeError, ValueError, UnicodeError):
        return None
    return compiled


def _text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (a name that is not UTF-8): RE2 reads UTF-8 only
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def search(pattern: LinearPattern, text: str) -> bool:
    return pattern.search(_text(text)) is not None


def fullmatch_prefix(pattern: LinearPattern, text: str) -> bool:
    """`pattern.match` (anchored at the start)."""
    return pattern.match(_text(text)) is not None


class Searcher:
    """`pattern.search(text) is not None` in linear time, remembering short texts (keys repeat a lot)."""

    __slots__ = ("_compiled", "_memo", "pattern")

    def __init__(self, pattern: str, compiled: LinearPattern) -> None:
        self.pattern = pattern
        self._compiled = compiled
        self._memo: dict[str, bool] = {}

    def __call__(self, text: str) -> bool:
        hit = self._memo.get(text)
        if hit is None:
            hit = self._compiled.search(_text(text)) is not None
            if len(text) <= 256 and len(self._memo) < 4096:
                self._memo[text] = hit
        return hit


@lru_cache(maxsize=4096)
def searcher(pattern: str) -> Searcher | None:
    """A Searcher for the pattern, or None when RE2 cannot express it (lookaround, backreferences)."""
    compiled = compile_linear(pattern) if isinstance(pattern, str) else None
    return None if compiled is None else Searcher(pattern, compiled)
