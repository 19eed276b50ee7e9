"""GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array of issues.

GitLab documents the fields it reads (docs.gitlab.com, ci/testing/code_quality, "Code Quality report
format"): `description`, `check_name`, `fingerprint`, `severity` (info, minor, major, critical or
blocker), `location.path` (relative to the repository root, without `./`) and `location.lines.begin`.
Only those are written. GitLab shows one issue per fingerprint, so each must be unique in the report
and stable across runs: a hash of the rule, the path, the flagged line's text and its occurrence (no
line numbers, so an issue keeps its identity when unrelated lines move). Suppressed findings are left out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubelint_py.engine.registry import Severity
from kubelint_py.report import terminal_safe_json
from kubelint_py.report.fingerprints import LineFingerprints
from kubelint_py.report.paths import PathMapper, project_root
from kubelint_py.report.rule_meta import is_critical

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}
"""kubelint-py's severities on GitLab's scale; `critical` is kept for leaked credentials, `blocker` unused."""


def issues(report: Report, *, cwd: Path | None = None) -> list[dict[str, Any]]:
    paths = PathMapper(project_root(report, cwd), cwd)
    defaults = {r.code: r.severity for r in report.rules}
    # Over every finding, suppressed or not, so that a suppression elsewhere changes no fingerprint.
    line_prints = LineFingerprints({f.path: f.text for f in report.files})
    prints = {id(f): line_prints(f) for f in report.findings}
    out: list[dict[str, Any]] = []
    for finding in report.active:
        loc = finding.location
        path, _ = paths.relative(loc.path)
        identity = "\0".join((finding.code, path, prints[id(finding)]))
        severity = "critical" if is_critical(finding.code, finding.severity, defaults.get(finding.code)) \
            else SEVERITIES[finding.severity]
        message = finding.message if finding.message.strip() else finding.name
        out.append({
            "description": f"{finding.code} {message}",
            "check_name": finding.code,
            "fingerprint": hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32],
            "severity": severity,
            "location": {"path": path, "lines": {"begin": max(loc.line, 1)}},
        })
    return out


def render(report: Report, *, cwd: Path | None = None) -> str:
    return terminal_safe_json(json.dumps(issues(report, cwd=cwd), indent=2, ensure_ascii=False)) + "\n"
