"""GitHub Actions workflow commands: one `::error|warning|notice file=...::message` line per finding.

GitHub turns them into annotations on the pull request's diff. Escaping follows the runner's rules:
in the message (data) `%`, CR and LF are percent-encoded; in properties also `:` and `,`. File paths
are relative to the repository root, as the runner expects (it resolves them against the workspace).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kubelint_py.engine.registry import Severity
from kubelint_py.report import escape_control
from kubelint_py.report.paths import PathMapper, project_root

if TYPE_CHECKING:
    from kubelint_py.api import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return escape_control(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, *, cwd: Path | None = None) -> str:
    paths = PathMapper(project_root(report, cwd), cwd)
    lines: list[str] = []
    for finding in report.active:
        loc = finding.location
        path, _ = paths.relative(loc.path)
        props = [f"file={escape_property(path)}", f"line={max(loc.line, 1)}", f"col={max(loc.column, 1)}"]
        end_line = max(loc.end_line, loc.line, 1)
        props.append(f"endLine={end_line}")
        # GitHub uses columns only on one-line annotations, and its endColumn is inclusive (ours is not).
        if end_line == loc.line and loc.end_column > loc.column + 1:
            props.append(f"endColumn={loc.end_column - 1}")
        props.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
        message = finding.message
        for related in finding.related:
            rpath, _ = paths.relative(related.location.path)
            message += f"\n{rpath}:{related.location.line}:{related.location.column}: {related.message}"
        lines.append(f"::{COMMANDS[finding.severity]} {','.join(props)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)
