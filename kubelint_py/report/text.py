"""`path:line:col: CODE [severity] message (name)` lines, then a summary."""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, TextIO

from kubelint_py.engine.registry import Finding, Severity
from kubelint_py.report import escape_control

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

_COLOURS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def use_colour(stream: object = None) -> bool:
    """Colour on a terminal; never when NO_COLOR is set (https://no-color.org); always, even into a pipe
    or a CI log, when FORCE_COLOR is set to anything but an empty string (https://force-color.org).
    NO_COLOR wins over FORCE_COLOR."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())


def _fixable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    return fix is not None and bool(fix.edits) and (fix.safe or unsafe)


def render(report: Report, *, colour: bool = False, quiet: bool = False) -> str:
    out = io.StringIO()
    write(report, out, colour=colour, quiet=quiet)
    return out.getvalue()


def write(report: Report, stream: TextIO, *, colour: bool = False, quiet: bool = False) -> None:
    """One line per finding (and per related location), written as it is made, then the summary."""
    unsafe = report.unsafe_fixes
    for finding in report.active:
        loc = finding.location
        severity = finding.severity.label
        head = f"{escape_control(loc.path)}:{loc.line}:{loc.column}:"
        message = escape_control(finding.message)
        mark = " [*]" if _fixable(finding, unsafe) else ""  # --fix repairs it
        if colour:
            line = (f"{_BOLD}{head}{_RESET} {_COLOURS[finding.severity]}{finding.code}{_RESET}{mark} "
                    f"{_COLOURS[finding.severity]}[{severity}]{_RESET} {message} {_DIM}({finding.name}){_RESET}")
        else:
            line = f"{head} {finding.code}{mark} [{severity}] {message} ({finding.name})"
        related = "".join(f"    {escape_control(r.location.path)}:{r.location.line}:{r.location.column}: "
                          f"{escape_control(r.message)}\n" for r in finding.related)
        stream.write(f"{line}\n{related}")
    if not quiet:
        fixes = fix_summary(report)
        if report.fixed is not None:  # after --fix: the issue's own line, below the usual summary
            stream.write(f"{summary(report)}\n{fixes}\n")
        else:  # one summary line, last, as scripts expect: the hint joins it
            stream.write((f"{summary(report)} {fixes}" if fixes else summary(report)) + "\n")


def fix_summary(report: Report) -> str:
    """After --fix: "N fixed, M remaining (K fixable with --unsafe-fixes)."; otherwise, when some findings
    have fixes: "[*] N fixable with --fix (K more with --unsafe-fixes)."; else ""."""
    unsafe = report.unsafe_fixes
    active = report.active
    now = sum(1 for f in active if _fixable(f, unsafe))
    more = 0 if unsafe else sum(1 for f in active if _fixable(f, True)) - now
    hint = f" ({more} fixable with --unsafe-fixes)" if more else ""
    if report.fixed is not None:
        return f"{len(report.fixed)} fixed, {len(active)} remaining{hint}."
    if now:
        extra = f" ({more} more with --unsafe-fixes)" if more else ""
        return f"[*] {now} fixable with --fix{extra}."
    if more:
        return f"{more} fixable with --fix --unsafe-fixes."
    return ""


def summary(report: Report) -> str:
    counts = report.counts()
    total = sum(counts.values())
    parts = [f"{counts[s]} {s.label}{'' if counts[s] == 1 else 's'}" for s in
             (Severity.ERROR, Severity.WARNING, Severity.INFO)]
    suppressed = len(report.findings) - total
    text = (f"Found {total} problem{'' if total == 1 else 's'} ({', '.join(parts)})"
            f"{f', {suppressed} suppressed' if suppressed else ''} in {len(report.linted_files)} "
            f"file{'' if len(report.linted_files) == 1 else 's'} in {report.duration:.2f}s.")
    threshold = report.config.fail_on
    if report.failed and threshold is not None:
        failing = sum(1 for f in report.active if f.severity >= threshold)
        text += f" Failing: {failing} at or above '{threshold.label}' (--fail-on)."
    return text
