"""A stable JSON document for scripts. `version` changes only when the structure does."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kubelint_py import __version__
from kubelint_py.core.source import Location
from kubelint_py.engine.registry import Severity
from kubelint_py.report import terminal_safe_json

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

SCHEMA_VERSION = 1


def _location(loc: Location) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line, "column": loc.column,
            "endLine": loc.end_line, "endColumn": loc.end_column}


def render(report: Report) -> str:
    counts = report.counts()
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
            "durationSeconds": round(report.duration, 3),
        },
    }
    return terminal_safe_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
