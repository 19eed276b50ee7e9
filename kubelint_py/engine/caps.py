"""Caps on findings, so that a hostile or generated file cannot flood the run (issue 23).

160 Pods of 1,000 containers each gave 1.76 million findings, 6.9 GB and a report nobody reads. The
engine stops a rule on a file after MAX_PER_RULE findings there, stops running rules on a file after
MAX_PER_FILE findings, and keeps at most MAX_PER_RULE_RUN findings of one rule in a run; each cut is
reported by a KL012 finding that says what was dropped.
"""

from __future__ import annotations

from collections import Counter

from kubelint_py.core.source import Location
from kubelint_py.engine import diagnostics as diag
from kubelint_py.engine.registry import Finding

MAX_PER_RULE = 500
"""Findings of one rule in one file; then the rule is not run on the rest of that file."""
MAX_PER_FILE = 1_000
"""Findings in one file; then no rule is run on the rest of that file."""
MAX_PER_RULE_RUN = 10_000
"""Findings of one rule in a run (project-level rules included)."""


def capped(path: str, message: str) -> Finding:
    rule = diag.FINDINGS_CAPPED
    return Finding(rule.code, rule.name, rule.severity, message, Location(path, 1, 1))


def rule_capped(path: str, code: str, name: str) -> Finding:
    return capped(path, f"{code} ({name}) reached {MAX_PER_RULE} findings in this file: it was not run on the "
                        "rest of the file and its other findings here are not reported")


def file_capped(path: str, skipped: int) -> Finding:
    return capped(path, f"this file reached {MAX_PER_FILE:,} findings: no rule was run on its other {skipped:,} "
                        f"object{'s' if skipped != 1 else ''} (workloads, containers, services)")


def cap_run(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_RULE_RUN findings per rule (the first ones, in the given order), and one KL012
    per rule that lost some, located at the first finding it lost."""
    counts = Counter(f.code for f in findings)
    if not counts or max(counts.values()) <= MAX_PER_RULE_RUN:
        return findings
    kept: list[Finding] = []
    seen: Counter[str] = Counter()
    notes: dict[str, Finding] = {}
    for finding in findings:
        seen[finding.code] += 1
        if seen[finding.code] <= MAX_PER_RULE_RUN or finding.code == diag.FINDINGS_CAPPED.code:
            kept.append(finding)
        elif finding.code not in notes:
            dropped = counts[finding.code] - MAX_PER_RULE_RUN
            notes[finding.code] = capped(finding.location.path, (
                f"{finding.code} ({finding.name}) reached {MAX_PER_RULE_RUN:,} findings in this run: "
                f"{dropped:,} more were dropped, from here on"))
    return kept + list(notes.values())
