"""GitLab Code Quality, JUnit XML and GitHub annotation limits and step summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.core.source import Location
from kubelint_py.engine.catalogue import all_rules, load_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding, Related, Rule, Severity, Suppression
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.report import get_renderer, github, gitlab, junit, rule_meta
from kubelint_py.report.paths import PathMapper

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
TEXT = "a: 1\nsame: line\nb: 2\nsame: line\nc: 3\n"

# GitLab's documented Code Quality fields (docs.gitlab.com/ci/testing/code_quality, "Code Quality report
# format"): every issue needs these, and severity is one of the five values.
GITLAB_REQUIRED = {"description": str, "check_name": str, "fingerprint": str, "severity": str, "location": dict}
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def check_gitlab(content: str) -> list[dict[str, Any]]:
    issues = json.loads(content)
    assert isinstance(issues, list)
    for issue in issues:
        assert set(issue) == set(GITLAB_REQUIRED), "only the documented fields"
        for key, kind in GITLAB_REQUIRED.items():
            assert isinstance(issue[key], kind), key
        assert issue["description"].strip() and issue["check_name"].strip() and issue["fingerprint"].strip()
        assert issue["severity"] in GITLAB_SEVERITIES
        location = issue["location"]
        assert set(location) == {"path", "lines"}
        assert isinstance(location["path"], str) and location["path"]
        assert not location["path"].startswith(("./", "/")), "relative to the repository, no ./"
        assert isinstance(location["lines"]["begin"], int) and location["lines"]["begin"] >= 1
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(fingerprints) == len(set(fingerprints)), "GitLab shows one issue per fingerprint"
    return issues


def _f(code: str, severity: Severity, line: int, path: str = "repo/a.yaml", *, message: str = "m",
       suppressed: Suppression | None = None, related: tuple[Related, ...] = ()) -> Finding:
    return Finding(code, f"name-{code.lower()}", severity, message, Location(path, line, 1, line, 4), related,
                   suppressed)


def _report(findings: list[Finding], texts: dict[str, str] | None = None, config: Config | None = None,
            rules: list[Rule] | None = None) -> Report:
    texts = texts if texts is not None else {"repo/a.yaml": TEXT}
    files = [SourceFile(path, "kubernetes", text=text) for path, text in texts.items()]
    return Report(sorted(findings, key=Finding.sort_key), files, 0.5, config or Config(), rules or [])


# --- gitlab -----------------------------------------------------------------------------------------

def test_gitlab_report_of_the_demo_has_the_documented_fields(tmp_path: Path) -> None:
    report = lint([str(DEMO)])
    issues = check_gitlab(gitlab.render(report, cwd=ROOT))
    assert len(issues) == len(report.active) > 3
    dc101 = next(i for i in issues if i["check_name"] == "DC101")
    assert dc101["location"]["path"].endswith("fixtures/demo/compose.yaml")
    assert dc101["location"]["lines"] == {"begin": 10}
    assert dc101["severity"] == "major" and dc101["description"].startswith("DC101 service 'web'")
    assert {i["severity"] for i in issues} >= {"major", "minor"}


def test_gitlab_fingerprints_are_unique_and_survive_moved_lines(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    findings = [_f("ZZ001", Severity.WARNING, 2), _f("ZZ001", Severity.WARNING, 4), _f("ZZ002", Severity.INFO, 4),
                _f("ZZ001", Severity.ERROR, 5, suppressed=Suppression("inSource"))]
    issues = check_gitlab(gitlab.render(_report(findings), cwd=tmp_path))
    assert [i["location"]["lines"]["begin"] for i in issues] == [2, 4, 4], "suppressed findings left out"
    assert [i["severity"] for i in issues] == ["minor", "minor", "info"]
    moved = [_f("ZZ001", Severity.WARNING, 3), _f("ZZ001", Severity.WARNING, 5), _f("ZZ002", Severity.INFO, 5)]
    again = check_gitlab(gitlab.render(_report(moved, {"repo/a.yaml": "new: 0\n" + TEXT}), cwd=tmp_path))
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]
    assert issues[0]["location"]["path"] == "repo/a.yaml"


def test_gitlab_rates_leaked_credentials_critical(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\nENV AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\nUSER app\n")
    report = lint([str(tmp_path / "Dockerfile")], cwd=tmp_path)
    issues = check_gitlab(gitlab.render(report, cwd=tmp_path))
    assert {i["check_name"]: i["severity"] for i in issues}.get("DF202") == "critical"


def test_gitlab_hostile_text_stays_json(tmp_path: Path) -> None:
    path = "repo/\u202eevil\x1b[31m.yaml"
    issues = check_gitlab(gitlab.render(_report([_f("ZZ001", Severity.ERROR, 1, path, message="\x1b]0;x\x07 ")],
                                                {path: TEXT}), cwd=tmp_path))
    assert issues[0]["location"]["path"] == path
    assert issues[0]["description"] == "ZZ001 \x1b]0;x\x07 "


def test_rule_meta_names_real_rules() -> None:
    load_rules()
    codes = {r.code for r in all_rules()}
    assert set(rule_meta.CRITICAL_SECURITY) <= codes
    assert set(rule_meta.PRECISION) <= codes
    assert set(rule_meta.PRECISION.values()) <= {"very-high", "high", "medium", "low"}
    for code in rule_meta.CRITICAL_SECURITY:
        found = next(r for r in all_rules() if r.code == code)
        assert found.security and found.severity == Severity.ERROR
        assert 9.0 <= float(rule_meta.CRITICAL_SECURITY[code]) < 10


# --- junit ------------------------------------------------------------------------------------------

def test_junit_one_testcase_per_file_and_a_failure_per_finding() -> None:
    texts = {"a.yaml": TEXT, "b.yaml": TEXT, "clean.yaml": TEXT}
    findings = [_f("ZZ001", Severity.ERROR, 1, "a.yaml", message="first <&> \"quoted\"",
                   related=(Related(Location("b.yaml", 2, 1), "see here"),)),
                _f("ZZ002", Severity.WARNING, 2, "a.yaml"),
                _f("ZZ003", Severity.INFO, 3, "b.yaml"),
                _f("ZZ004", Severity.ERROR, 4, "b.yaml", suppressed=Suppression("inSource"))]
    root = ET.fromstring(junit.render(_report(findings, texts)))
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "1"
    [suite] = root.findall("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"a.yaml", "b.yaml", "clean.yaml"}
    failures = cases["a.yaml"].findall("failure")
    assert [f.get("type") for f in failures] == ["ZZ001", "ZZ002"]  # fail-on warning (the default)
    assert failures[0].get("message") == 'ZZ001 first <&> "quoted"'
    assert "b.yaml:2:1: see here" in (failures[0].text or "")
    # Below --fail-on: listed, not failing; suppressed: left out; a clean file is a passing testcase.
    assert cases["b.yaml"].findall("failure") == []
    assert "ZZ003" in (cases["b.yaml"].findtext("system-out") or "")
    assert "ZZ004" not in junit.render(_report(findings, texts))
    assert list(cases["clean.yaml"]) == []


def test_junit_follows_fail_on_and_carries_hostile_text() -> None:
    findings = [_f("ZZ001", Severity.WARNING, 1, "a\x00\x1b.yaml", message="bad \x01 \ud800 text")]
    content = junit.render(_report(findings, {"a\x00\x1b.yaml": TEXT}, Config(fail_on=Severity.ERROR)))
    root = ET.fromstring(content)  # parses: no character XML 1.0 forbids
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == "a\\x00\\x1b.yaml"
    assert case.findall("failure") == [] and "bad \\x01 \\ud800 text" in (case.findtext("system-out") or "")
    failing = ET.fromstring(junit.render(_report(findings, {"a\x00\x1b.yaml": TEXT}, Config(fail_on=Severity.INFO))))
    assert failing.get("failures") == "1"


def test_junit_of_the_demo_parses() -> None:
    report = lint([str(DEMO)])
    root = ET.fromstring(get_renderer("junit")(report))
    assert int(root.get("tests") or 0) == len(report.linted_files)
    assert len(root.findall(".//failure")) == sum(1 for f in report.active if f.severity >= Severity.WARNING)


# --- github limits and step summary -------------------------------------------------------------------

def _many(errors: int, warnings: int, notices: int) -> list[Finding]:
    findings = [_f("ZZ001", Severity.ERROR, i + 1) for i in range(errors)]
    findings += [_f("ZZ002", Severity.WARNING, 100 + i) for i in range(warnings)]
    findings += [_f("ZZ003", Severity.INFO, 200 + i) for i in range(notices)]
    return findings


def _kinds(lines: list[str]) -> list[str]:
    return [line[2:].split(" ", 1)[0] for line in lines]


def test_github_annotations_capped_per_kind_then_one_notice(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    lines = github.render(_report(_many(12, 3, 15)), cwd=tmp_path, environ={}).splitlines()
    kinds = _kinds(lines)
    assert kinds.count("error") == 10 and kinds.count("warning") == 3
    assert kinds.count("notice") == 10, "9 findings and the note about the rest: GitHub shows 10 notices"
    assert kinds == sorted(kinds, key=["error", "warning", "notice"].index), "sorted by severity"
    assert lines[-1].startswith("::notice title=kubelint-py::")
    assert "8 more findings not shown" in lines[-1] and "--format text" in lines[-1]
    assert "line=1," in lines[0] and "line=10," in lines[9], "the first errors in report order"


def test_github_nothing_left_out_means_no_extra_notice(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    lines = github.render(_report(_many(10, 10, 10)), cwd=tmp_path, environ={}).splitlines()
    assert _kinds(lines) == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 10
    lines = github.render(_report(_many(11, 0, 0)), cwd=tmp_path, environ={}).splitlines()
    assert _kinds(lines) == ["error"] * 10 + ["notice"] and "1 more finding not" in lines[-1]


def test_github_step_summary_is_appended(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    findings = [*_many(2, 1, 0), _f("ZZ002", Severity.WARNING, 3, "repo/b|<img src=x>.yaml")]
    texts = {"repo/a.yaml": TEXT, "repo/b|<img src=x>.yaml": TEXT}
    github.render(_report(findings, texts), cwd=tmp_path, environ={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("earlier step\n## kubelint-py\n")
    assert "**4 findings** (2 errors, 2 warnings, 0 infos) in 2 files: failed." in text
    assert "| ZZ001 | name\\-zz001 | error | 2 |" in text
    assert "| ZZ002 | name\\-zz002 | warning | 2 |" in text
    assert "| repo/a\\.yaml | 3 |" in text
    assert "<img" not in text and "b\\|&lt;img src=x&gt;\\.yaml" in text, "file names cannot inject Markdown"
    lines = github.render(_report(_many(0, 0, 12)), cwd=tmp_path,
                          environ={"GITHUB_STEP_SUMMARY": str(summary)}).splitlines()
    assert "see the job summary and this step's log" in lines[-1]


def test_github_step_summary_that_cannot_be_written_is_a_warning(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    out = github.render(_report(_many(1, 0, 0)), cwd=tmp_path,
                        environ={"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "s.md")})
    assert out.startswith("::error ")
    assert "cannot append to GITHUB_STEP_SUMMARY" in capsys.readouterr().err


def test_github_summary_without_findings(tmp_path: Path) -> None:
    report = _report([])
    text = github.step_summary(report, PathMapper(str(tmp_path), tmp_path))
    assert "**0 findings**" in text and "passed" in text and "|" not in text

