"""A stable JSON document for scripts. `version` changes only when the structure does."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from kubelint_py import __version__
from kubelint_py.core.source import Location
from kubelint_py.engine.registry import Finding, Severity
from kubelint_py.report import terminal_safe_json

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

SCHEMA_VERSION = 1


def _location(loc: Location) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line, "column": loc.column,
            "endLine": loc.end_line, "endColumn": loc.end_column}


def _fix(finding: Finding, texts: Mapping[str, tuple[str, str]]) -> dict[str, Any] | None:
    if finding.fix is None or not finding.fix.edits:
        return None
    from kubelint_py.results.fixes import report_edits

    return {"safe": finding.fix.safe, "description": finding.fix.description,
            "edits": [{"location": _location(Location.of(finding.location.path, span)), "text": text}
                      for span, text in report_edits(finding, texts)]}


def _finding(f: Finding, texts: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "message": f.message,
        "location": _location(f.location),
        "related": [{"message": r.message, "location": _location(r.location)} for r in f.related],
        "suppressed": None if f.suppressed is None else {
            "kind": f.suppressed.kind, "justification": f.suppressed.justification},
        "fix": _fix(f, texts),
    }


def _texts(report: Report) -> dict[str, tuple[str, str]]:
    return {f.path: (f.kind, f.text) for f in report.files} if any(f.fix for f in report.findings) else {}


def _summary(report: Report) -> dict[str, Any]:
    counts = report.counts()
    fixable = sum(1 for f in report.active if f.fix is not None and f.fix.edits
                  and (f.fix.safe or report.unsafe_fixes))
    return {
        "errors": counts[Severity.ERROR],
        "warnings": counts[Severity.WARNING],
        "infos": counts[Severity.INFO],
        "suppressed": len(report.findings) - len(report.active),
        "files": len(report.linted_files),
        "failed": report.failed,
        "fixable": fixable,
        "fixed": None if report.fixed is None else len(report.fixed),
        "durationSeconds": round(report.duration, 3),
    }


def document(report: Report) -> dict[str, Any]:
    """The whole document as one value (what `write` streams)."""
    texts = _texts(report)
    return {"version": SCHEMA_VERSION, "tool": {"name": "kubelint-py", "version": __version__},
            "findings": [_finding(f, texts) for f in report.findings], "summary": _summary(report)}


_FINDINGS = "__kubelint_py_findings__"


def _dump(value: Any, level: int) -> str:
    """value as json.dumps(indent=2) writes it nested `level` levels deep (its first line not indented)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + "  " * level) if level else text


def write(report: Report, stream: TextIO) -> None:
    """The document of `document(report)`, byte for byte as json.dumps(indent=2) writes it, one finding at
    a time: a run with a hundred thousand findings never holds its whole report as one string."""
    texts = _texts(report)
    head = {"version": SCHEMA_VERSION, "tool": {"name": "kubelint-py", "version": __version__},
            "findings": _FINDINGS, "summary": _summary(report)}
    before, _, after = _dump(head, 0).partition(json.dumps(_FINDINGS))
    stream.write(terminal_safe_json(before) + "[")
    for number, finding in enumerate(report.findings):
        stream.write(("\n    " if number == 0 else ",\n    ")
                     + terminal_safe_json(_dump(_finding(finding, texts), 2)))
    stream.write(("\n  ]" if report.findings else "]") + terminal_safe_json(after) + "\n")


def render(report: Report) -> str:
    out = io.StringIO()
    write(report, out)
    return out.getvalue()
