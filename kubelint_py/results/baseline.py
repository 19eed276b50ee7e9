"""Baselines: record today's findings so that only new ones are reported.

A finding's fingerprint is built from its rule, its path (relative to the baseline file's folder), the
object it sits in (Kubernetes kind/namespace/name, Compose service, Dockerfile stage and instruction)
and the normalised text of its line(s), never the line number: inserting or moving lines keeps old
findings matched. Each fingerprint keeps a count, so a new copy of a known problem in the same object
is still reported. The file stores hashes, not content, so a baselined secret is not copied into it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubelint_py import __version__
from kubelint_py.engine.config import ConfigError
from kubelint_py.engine.registry import Finding, Suppression
from kubelint_py.results.outline import object_outline

if TYPE_CHECKING:
    from kubelint_py.loading.source_file import SourceFile

VERSION = 1
JUSTIFICATION = "baseline"
CONTENT_LINES = 3
"""At most this many lines of a finding's span take part in its fingerprint."""


@dataclass(frozen=True)
class Baseline:
    base: Path
    counts: dict[str, int]


class _FileView:
    """Per file: its lines and a way to name the object that holds a given line."""

    def __init__(self, source: SourceFile | None) -> None:
        self.lines = source.text.splitlines() if source is not None else []
        self.objects = list(object_outline(source)) if source is not None else []
        self.starts = [item[0] for item in self.objects]

    def object_at(self, line: int) -> str:
        """The innermost (last starting) object whose span holds the line."""
        if not self.objects:
            return ""
        position = bisect.bisect_right(self.starts, line)
        for first, last, name in reversed(self.objects[:position]):
            if first <= line <= last:
                return name
        return ""

    def content(self, first: int, last: int) -> str:
        last = min(max(first, last), first + CONTENT_LINES - 1, len(self.lines))
        return "\n".join(" ".join(row.split()) for row in self.lines[first - 1:last]) if first >= 1 else ""


def _relative(path: str, base: Path) -> str:
    resolved = Path(os.path.realpath(path))  # never raises, even on a link loop
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return Path(os.path.relpath(resolved, base)).as_posix()


def fingerprints(findings: Sequence[Finding], files: Iterable[SourceFile], base: Path) -> list[tuple[str, str, str]]:
    """(fingerprint, relative path, object) for each finding, in the same order."""
    sources = {source.path: source for source in files}
    views: dict[str, _FileView] = {}
    relative: dict[str, str] = {}
    result: list[tuple[str, str, str]] = []
    for finding in findings:
        loc = finding.location
        view = views.get(loc.path)
        if view is None:
            view = views[loc.path] = _FileView(sources.get(loc.path))
            source = sources.get(loc.path)
            relative[loc.path] = _relative(source.fs_path if source is not None and source.fs_path else loc.path,
                                           base)
        rel = relative[loc.path]
        obj = view.object_at(loc.line)
        content = view.content(loc.line, loc.end_line)
        digest = hashlib.sha256("\0".join((finding.code, rel, obj, content)).encode()).hexdigest()[:20]
        result.append((digest, rel, obj))
    return result


def load_baseline(path: str) -> Baseline:
    from kubelint_py.engine.reading import read_text

    target = Path(path)
    try:
        document = json.loads(read_text(target, "baseline file"))
    except FileNotFoundError:
        raise ConfigError(f"baseline file {path} does not exist (create it with --write-baseline {path})") from None
    except (RecursionError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read baseline file {path}: {error}") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or document.get("version") != VERSION:
        raise ConfigError(f"{path} is not a kubelint-py baseline (version {VERSION}); write it again with "
                          "--write-baseline")
    counts: dict[str, int] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            count = entry.get("count", 1)
            counts[entry["fingerprint"]] = counts.get(entry["fingerprint"], 0) + (
                count if isinstance(count, int) and count > 0 else 1)
    return Baseline(target.resolve().parent, counts)


def apply_baseline(findings: list[Finding], files: Sequence[SourceFile], baseline: Baseline) -> list[Finding]:
    """Mark findings the baseline knows (up to its count per fingerprint), in file order."""
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    candidates = [i for i in order if findings[i].suppressed is None]
    prints = fingerprints([findings[i] for i in candidates], files, baseline.base)
    remaining = dict(baseline.counts)
    result = list(findings)
    for index, (digest, _, _) in zip(candidates, prints, strict=True):
        if remaining.get(digest, 0) > 0:
            remaining[digest] -= 1
            result[index] = findings[index]._replace(suppressed=Suppression("external", JUSTIFICATION))
    return result


def baseline_document(findings: Sequence[Finding], files: Sequence[SourceFile], path: str) -> dict[str, Any]:
    """The baseline for the findings that are not silenced in the source or the configuration."""
    kept = sorted((f for f in findings if f.suppressed is None or f.suppressed.justification == JUSTIFICATION),
                  key=Finding.sort_key)
    base = Path(path).resolve().parent
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for finding, (digest, rel, obj) in zip(kept, fingerprints(kept, files, base), strict=True):
        counts[(rel, finding.code, obj, digest)] += 1
    return {
        "version": VERSION,
        "generator": f"kubelint-py {__version__}",
        "findings": [{"path": rel, "code": code, "object": obj, "fingerprint": digest, "count": count}
                     for (rel, code, obj, digest), count in sorted(counts.items())],
    }


def write_baseline(findings: Sequence[Finding], files: Sequence[SourceFile], path: str, *,
                   force: bool = False) -> int:
    """Write the baseline file (a link only with force); returns the number of findings recorded."""
    from kubelint_py.core.files import write_atomically

    document = baseline_document(findings, files, path)
    write_atomically(path, json.dumps(document, indent=2) + "\n", force=force)
    return sum(entry["count"] for entry in document["findings"])
