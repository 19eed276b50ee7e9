"""JUnit XML for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure).

One testsuite; one testcase per linted file (named by its path); one `<failure>` per finding at or above
--fail-on, so a file fails exactly when its findings would fail the run. Findings below the threshold
are listed in the testcase's `<system-out>`, visible without failing it. Suppressed findings are left out.
Text from files is made XML-safe: characters XML 1.0 cannot carry and terminal controls are written as
`\\x1b`-style escapes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from kubelint_py.engine.registry import Finding
from kubelint_py.report import escape_control

if TYPE_CHECKING:
    from kubelint_py.results.report import Report

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _safe(text: str) -> str:
    """One line of text XML 1.0 can hold and a terminal cannot be driven by."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", escape_control(text))


def _line(finding: Finding) -> str:
    loc = finding.location
    return (f"{loc.path}:{loc.line}:{loc.column}: {finding.code} [{finding.severity.label}] "
            f"{finding.message} ({finding.name})")


def render(report: Report) -> str:
    threshold = report.config.fail_on
    by_path: dict[str, list[Finding]] = {f.path: [] for f in report.linted_files}
    for finding in report.active:
        by_path.setdefault(finding.location.path, []).append(finding)
    suite = ET.Element("testsuite", name="kubelint-py")
    failed_cases = 0
    for path, findings in by_path.items():
        case = ET.SubElement(suite, "testcase", classname="kubelint-py", name=_safe(path), file=_safe(path))
        failing: list[Finding] = []
        others: list[Finding] = []
        for finding in findings:
            (failing if threshold is not None and finding.severity >= threshold else others).append(finding)
        for finding in failing:
            failure = ET.SubElement(case, "failure", type=finding.code,
                                    message=_safe(f"{finding.code} {finding.message}"))
            lines = [_line(finding),
                     *(f"  {r.location.path}:{r.location.line}:{r.location.column}: {r.message}"
                       for r in finding.related)]
            failure.text = "\n".join(_safe(line) for line in lines)
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(_safe(_line(f)) for f in others)
        failed_cases += bool(failing)
    cases = len(by_path)
    seconds = f"{report.duration:.3f}"
    suite.set("tests", str(cases))
    suite.set("failures", str(failed_cases))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", seconds)
    root = ET.Element("testsuites", name="kubelint-py", tests=str(cases), failures=str(failed_cases),
                      errors="0", time=seconds)
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
