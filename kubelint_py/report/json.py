"""A stable JSON document for scripts. `version` changes only when the structure does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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


def render(report: Report) -> str:
    counts = report.counts()
    texts = {f.path: (f.kind, f.text) for f in report.files} if any(f.fix for f in report.findings) else {}
    fixable = sum(1 for f in report.active if f.fix is not None and f.fix.edits
                  and (f.fix.safe or report.unsafe_fixes))
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "kubelint-py", "version": __version__},
        "findings": [
            {
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
            for f in report.findings
        ],
        "summary": {
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO],
            "suppressed": len(report.findings) - len(report.active),
            "files": len(report.linted_files),
            "failed": report.failed,
            "fixable": fixable,
            "fixed": None if report.fixed is None else len(report.fixed),
            "durationSeconds": round(report.duration, 3),
        },
    }
    return terminal_safe_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
