"""GitHub Actions workflow commands: `::error|warning|notice file=...::message` lines, and a Markdown
summary of the run for the job's summary page.

GitHub turns the commands into annotations on the pull request's diff, but shows at most 10 of each
kind (error, warning, notice) per step and drops the rest without a word. So the most severe findings
are written first, at most 10 of each kind, and then one notice says how many more there are and where
to see them (the step's log with `--format text`, the job summary). Escaping follows the runner's rules:
in the message (data) `%`, CR and LF are percent-encoded; in properties also `:` and `,`. File paths
are relative to the repository root, as the runner expects (it resolves them against the workspace).

When GITHUB_STEP_SUMMARY names a file (as it does in every Actions step), a Markdown summary is
appended to it: counts per severity, a table of counts per rule, and the files with most findings.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kubelint_py.engine.registry import Finding, Severity
from kubelint_py.report import escape_control
from kubelint_py.report.paths import PathMapper, project_root

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
MAX_PER_KIND = 10
"""GitHub shows at most this many annotations of each kind (error, warning, notice) per step."""
SUMMARY_TOP_FILES = 10
SUMMARY_MAX_RULES = 100


def escape_data(text: str) -> str:
    return escape_control(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(finding: Finding, paths: PathMapper) -> str:
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
    return f"::{COMMANDS[finding.severity]} {','.join(props)}::{escape_data(message)}"


def annotated(findings: list[Finding], limit: int = MAX_PER_KIND) -> tuple[list[Finding], int]:
    """The findings to annotate (most severe first, report order within a severity, at most `limit` of
    each kind) and how many are left out. When some are left out, one notice slot is kept for saying so."""
    ordered = sorted(findings, key=lambda f: -f.severity)  # stable: report order within a severity
    total = len(ordered)
    chosen: list[Finding] = []
    taken: Counter[Severity] = Counter()
    for finding in ordered:
        if taken[finding.severity] < limit:
            taken[finding.severity] += 1
            chosen.append(finding)
    if len(chosen) < total and taken[Severity.INFO] == limit:
        # The "more findings" line is a notice too: it must not be the 11th.
        last_notice = max(i for i, f in enumerate(chosen) if f.severity == Severity.INFO)
        del chosen[last_notice]
    return chosen, total - len(chosen)


def render(report: Report, *, cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    paths = PathMapper(project_root(report, cwd), cwd)
    active = report.active
    chosen, left_out = annotated(active)
    lines = [_command(finding, paths) for finding in chosen]
    env = os.environ if environ is None else environ
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if left_out:
        where = "the job summary and " if summary_file else ""
        lines.append(
            f"::notice title=kubelint-py::{left_out} more finding{'' if left_out == 1 else 's'} not shown as "
            f"annotations (GitHub shows at most {MAX_PER_KIND} errors, {MAX_PER_KIND} warnings and "
            f"{MAX_PER_KIND} notices per step; the most severe are shown): see {where}this step's log "
            "(`--format text`), or the SARIF report in code scanning")
    if summary_file:
        write_step_summary(report, summary_file, paths)
    return "".join(line + "\n" for line in lines)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def markdown_escape(text: str) -> str:
    """Text from files shown literally in Markdown: no links, HTML, emphasis or table breaks."""
    html = escape_control(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html)


def step_summary(report: Report, paths: PathMapper) -> str:
    """The Markdown appended to $GITHUB_STEP_SUMMARY."""
    counts = report.counts()
    active = report.active
    total = len(active)
    parts = [f"{counts[s]} {s.label}{'' if counts[s] == 1 else 's'}"
             for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    files = len(report.linted_files)
    status = "failed" if report.failed else "passed"
    lines = ["## kubelint-py", "",
             f"**{total} finding{'' if total == 1 else 's'}** ({', '.join(parts)}) in {files} "
             f"file{'' if files == 1 else 's'}: {status}.", ""]
    if not active:
        return "\n".join(lines) + "\n"
    per_rule: Counter[tuple[str, str, Severity]] = Counter((f.code, f.name, f.severity) for f in active)
    lines += ["| Rule | Name | Severity | Findings |", "|---|---|---|---:|"]
    ranked = sorted(per_rule.items(), key=lambda item: (-item[0][2], -item[1], item[0][0]))
    for (code, name, severity), count in ranked[:SUMMARY_MAX_RULES]:
        lines.append(f"| {markdown_escape(code)} | {markdown_escape(name)} | {severity.label} | {count} |")
    if len(ranked) > SUMMARY_MAX_RULES:
        lines.append(f"| ... | {len(ranked) - SUMMARY_MAX_RULES} more rules | | |")
    per_file: Counter[str] = Counter(paths.relative(f.location.path)[0] for f in active)
    lines += ["", "| File | Findings |", "|---|---:|"]
    for path, count in sorted(per_file.items(), key=lambda item: (-item[1], item[0]))[:SUMMARY_TOP_FILES]:
        lines.append(f"| {markdown_escape(path)} | {count} |")
    if len(per_file) > SUMMARY_TOP_FILES:
        lines.append(f"| {len(per_file) - SUMMARY_TOP_FILES} more files | |")
    return "\n".join(lines) + "\n\n"


def write_step_summary(report: Report, target: str, paths: PathMapper) -> None:
    """Append the summary; a summary file that cannot be written costs a warning, not the run."""
    import sys

    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(step_summary(report, paths))
    except OSError as error:
        sys.stderr.write(f"kubelint-py: warning: cannot append to GITHUB_STEP_SUMMARY "
                         f"({escape_control(target)}): {escape_control(error.strerror or str(error))}\n")
