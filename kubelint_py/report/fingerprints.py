"""Fingerprints that survive unrelated edits: a hash of the flagged line's text (whitespace normalised)
and the occurrence of that (path, rule, hash) in the file. No line number goes in, so a finding keeps
its fingerprint when lines are added or removed above it. SARIF (primaryLocationLineHash) and GitLab
Code Quality (fingerprint) both use it."""

from __future__ import annotations

import hashlib

from kubelint_py.engine.registry import Finding


class LineFingerprints:
    """Call once per finding, in report order: the same finding set gives the same fingerprints."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.lines: dict[str, list[str]] = {}
        self.seen: dict[tuple[str, str, str], int] = {}

    def line_text(self, path: str, line: int) -> str:
        lines = self.lines.get(path)
        if lines is None:
            lines = self.lines[path] = self.texts.get(path, "").splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def __call__(self, finding: Finding) -> str:
        """`<16 hex digits>:<occurrence>`."""
        loc = finding.location
        line = self.line_text(loc.path, loc.line)
        digest = hashlib.sha256(" ".join(line.split()).encode("utf-8")).hexdigest()[:16]
        key = (loc.path, finding.code, digest)
        occurrence = self.seen.get(key, 0) + 1
        self.seen[key] = occurrence
        return f"{digest}:{occurrence}"
