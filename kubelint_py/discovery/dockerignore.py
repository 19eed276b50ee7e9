""".dockerignore matching with Docker's own semantics. Pure: no I/O.

What Docker (moby/patternmatcher and BuildKit's ignorefile reader) does, and so do we:

* a line whose first character is ``#`` is a comment; other lines are trimmed; blank lines are skipped;
* ``!pattern`` re-includes what an earlier pattern excluded; the last matching pattern wins;
* each pattern is cleaned like Go's ``filepath.Clean`` (``./a//b/`` -> ``a/b``) and a leading ``/`` is
  dropped: patterns are always relative to the context root (unlike .gitignore, ``foo`` matches only
  ``./foo``, not ``a/foo``);
* ``*`` matches any run of characters except ``/``, ``?`` one character except ``/``, ``[...]`` a class,
  ``\\`` escapes the next character; ``**`` matches any number of directories, zero included
  (``**/x``, ``a/**/b``), and a trailing ``**`` matches everything below;
* a pattern that matches a parent directory of a path matches the path too (``node_modules`` excludes
  ``node_modules/a/b.js``).

A .dockerignore comes with the pull request, so matching is linear: globs are translated to regular
expressions matched by RE2 (kubelint_py.core.regex; Python's backtracking `re` took minutes on a
pattern of twenty `*`), and consecutive patterns of one kind (excludes, or `!` exceptions) are matched
together: literal ones by a set lookup, the others as one alternation. A 70,000-line file checked against
thousands of paths costs one pass per run of patterns, not one per pattern.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from kubelint_py.core.regex import LinearPattern, compile_linear

__all__ = ["DockerIgnore", "IgnorePattern"]


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str
    """The cleaned pattern, without the leading ``!``."""
    exclusion: bool
    """True for ``!pattern``: it re-includes paths."""
    body: str
    """The regular expression (RE2 and Python syntax), without anchors."""
    line: int

    @property
    def literal(self) -> bool:
        return not any(c in self.text for c in "*?[\\")

    def matches(self, path: str) -> bool:
        return _Run.of([self]).hit([path])


def _clean(pattern: str) -> str:
    cleaned = posixpath.normpath(pattern)
    # normpath keeps a leading "//"; Clean collapses it.
    while cleaned.startswith("//"):
        cleaned = cleaned[1:]
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                while i < n and pattern[i] == "*":
                    i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body + "]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    if "[" in pattern and compile_linear(f"^(?:{body})$", dotall=True) is None:
        return re.escape(pattern)  # a malformed class: the pattern as written
    return body


@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive patterns of one kind: one of them matches when its literal set or its regex does."""

    exclusion: bool
    literals: frozenset[str]
    regex: LinearPattern | None
    fallback: tuple[LinearPattern, ...] = field(default=())

    @classmethod
    def of(cls, patterns: list[IgnorePattern]) -> _Run:
        literals = frozenset(p.text for p in patterns if p.literal)
        bodies = [p.body for p in patterns if not p.literal]
        regex = compile_linear(f"^(?:{'|'.join(bodies)})$", dotall=True) if bodies else None
        fallback: tuple[LinearPattern, ...] = ()
        if bodies and regex is None:  # too large for one program: one per pattern
            fallback = tuple(r for r in (compile_linear(f"^(?:{b})$", dotall=True) for b in bodies)
                             if r is not None)
        return cls(patterns[0].exclusion, literals, regex, fallback)

    def hit(self, paths: list[str]) -> bool:
        if any(p in self.literals for p in paths):
            return True
        if self.regex is not None:
            return any(self.regex.match(p) is not None for p in paths)
        return any(r.match(p) is not None for r in self.fallback for p in paths)


@dataclass(frozen=True, slots=True)
class DockerIgnore:
    patterns: tuple[IgnorePattern, ...]
    _runs: tuple[_Run, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        runs: list[list[IgnorePattern]] = []
        for pattern in self.patterns:
            if runs and runs[-1][0].exclusion == pattern.exclusion:
                runs[-1].append(pattern)
            else:
                runs.append([pattern])
        object.__setattr__(self, "_runs", tuple(_Run.of(run) for run in runs))

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        patterns: list[IgnorePattern] = []
        if text.startswith("\ufeff"):
            text = text[1:]
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("#"):
                continue
            line = line.strip()
            if not line:
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
                if not line:
                    continue
            cleaned = _clean(line)
            patterns.append(IgnorePattern(cleaned, exclusion, _translate(cleaned), number))
        return cls(tuple(patterns))

    def is_excluded(self, relpath: str) -> bool:
        """True when the path (relative to the context root, ``/``-separated) is not sent to the builder."""
        path = _clean(relpath.replace("\\", "/"))
        parents = path.split("/")[:-1]
        candidates = [path, *("/".join(parents[: i + 1]) for i in range(len(parents)))]
        matched = False
        for run in self._runs:
            # An inclusion only matters while not excluded yet, an exception only once excluded; within a
            # run of one kind, the first pattern that matches flips the state and the rest cannot.
            if run.exclusion != matched:
                continue
            if run.hit(candidates):
                matched = not run.exclusion
        return matched
