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
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

__all__ = ["DockerIgnore", "IgnorePattern"]


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    text: str
    """The cleaned pattern, without the leading ``!``."""
    exclusion: bool
    """True for ``!pattern``: it re-includes paths."""
    regex: re.Pattern[str]
    line: int

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None


def _clean(pattern: str) -> str:
    cleaned = posixpath.normpath(pattern)
    # normpath keeps a leading "//"; Clean collapses it.
    while cleaned.startswith("//"):
        cleaned = cleaned[1:]
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = ["^"]
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
    out.append("$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return re.compile(re.escape(pattern) + "$")


@dataclass(frozen=True, slots=True)
class DockerIgnore:
    patterns: tuple[IgnorePattern, ...]

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
            patterns.append(IgnorePattern(cleaned, exclusion, _compile(cleaned), number))
        return cls(tuple(patterns))

    def is_excluded(self, relpath: str) -> bool:
        """True when the path (relative to the context root, ``/``-separated) is not sent to the builder."""
        path = _clean(relpath.replace("\\", "/"))
        parents = path.split("/")[:-1]
        prefixes = ["/".join(parents[: i + 1]) for i in range(len(parents))]
        matched = False
        for pattern in self.patterns:
            # An inclusion only matters while not excluded yet, an exception only once excluded.
            if pattern.exclusion != matched:
                continue
            hit = pattern.matches(path) or any(pattern.matches(prefix) for prefix in prefixes)
            if hit:
                matched = not pattern.exclusion
        return matched
