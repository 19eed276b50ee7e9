"""JSON and GitHub outputs, and several outputs in one CLI run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import Report
from kubelint_py.core.source import Location
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding, Related, Severity, Suppression
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.report import github
from kubelint_py.report import json as json_report
from tests.cli_support import invoke
from tests.sarif_support import check_sarif

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
JSON_SCHEMA = ROOT / "schemas" / "kubelint-report.schema.json"
BAD_COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n"


def _report(findings: list[Finding]) -> Report:
    return Report(findings, [SourceFile("a.yaml", "kubernetes", text="x: 1\n")], 0.25, Config())


def _validate_json(document: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert not errors, [e.message for e in errors]


# --- github -----------------------------------------------------------------------------------------

def test_github_escaping() -> None:
    assert github.escape_data("100%\r\ndone: a,b") == "100%25%0D%0Adone: a,b"
    assert github.escape_property("dir,x/a:b%.yaml\n") == "dir%2Cx/a%3Ab%25.yaml%0A"
    assert github.escape_data("\x1b[31mred") == "\\x1b[31mred"  # no terminal escapes in CI logs


def test_github_commands_levels_and_properties(tmp_path: Path) -> None:
    findings = [
        Finding("DC101", "depends-on-undefined-service", Severity.ERROR, "depends on 'db', 50% sure\nreally",
                Location("dir,1/compose:x.yaml", 4, 17, 4, 21)),
        Finding("KS102", "missing-readiness-probe", Severity.WARNING, "no probe",
                Location("k8s.yaml", 3, 5, 9, 2), (Related(Location("svc.yaml", 7, 3), "selected by"),)),
        Finding("KL002", "template-skipped", Severity.INFO, "skipped", Location("t.yaml", 1, 1)),
        Finding("KL007", "unused-suppression", Severity.INFO, "hidden", Location("t.yaml", 2, 1),
                suppressed=Suppression("inSource")),
    ]
    (tmp_path / ".git").mkdir()
    lines = github.render(_report(findings), cwd=tmp_path).splitlines()
    assert lines == [
        "::error file=dir%2C1/compose%3Ax.yaml,line=4,col=17,endLine=4,endColumn=20,"
        "title=DC101 depends-on-undefined-service::depends on 'db', 50%25 sure%0Areally",
        "::warning file=k8s.yaml,line=3,col=5,endLine=9,title=KS102 missing-readiness-probe::"
        "no probe%0Asvc.yaml:7:3: selected by",
        "::notice file=t.yaml,line=1,col=1,endLine=1,title=KL002 template-skipped::skipped",
    ]


def test_github_paths_are_relative_to_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "compose.yaml").write_text(BAD_COMPOSE)
    monkeypatch.chdir(tmp_path / "deploy")
    result = invoke(["check", "compose.yaml", "--format", "github"])
    assert result.exit_code == 1
    assert result.output.startswith("::error file=deploy/compose.yaml,line=4,col=18,endLine=4,endColumn=19,")


# --- json -------------------------------------------------------------------------------------------

def test_json_document_matches_its_schema() -> None:
    findings = [
        Finding("DC101", "depends-on-undefined-service", Severity.ERROR, "m", Location("a.yaml", 1, 1, 1, 5),
                (Related(Location("a.yaml", 2, 1), "here"),)),
        Finding("KS102", "missing-readiness-probe", Severity.WARNING, "m", Location("a.yaml", 3, 1),
                suppressed=Suppression("inSource", "a reason")),
    ]
    document = json.loads(json_report.render(_report(findings)))
    _validate_json(document)
    assert document["findings"][1]["suppressed"] == {"kind": "inSource", "justification": "a reason"}
    assert document["findings"][0]["suppressed"] is None
    assert document["summary"] == {"errors": 1, "warnings": 0, "infos": 0, "suppressed": 1, "files": 1,
                                   "failed": True, "durationSeconds": 0.25, "fixable": 0, "fixed": None}


def test_json_of_the_demo_matches_its_schema() -> None:
    result = invoke(["check", str(DEMO), "--format", "json"])
    _validate_json(json.loads(result.output))


# --- several outputs, exit codes -------------------------------------------------------------------

def test_several_outputs_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(["check", str(DEMO), "-f", "text", "-f", f"sarif:{out}/r.sarif",
                                 "-f", f"json:{out}/r.json", "-f", f"github:{out}/annotations.txt"])
    assert result.exit_code == 1
    assert "DC101 [error]" in result.output and "Failing:" in result.output
    check_sarif((out / "r.sarif").read_text(encoding="utf-8"))
    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["summary"]["failed"] is True
    assert "::error file=" in (out / "annotations.txt").read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["annotations.txt", "r.json", "r.sarif"], "no temp files"


def test_output_over_a_linted_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "compose.yaml"
    target.write_text(BAD_COMPOSE)
    for option in (["--format", f"sarif:{target}"], ["--format", "json", "--output", str(target)]):
        result = invoke(["check", str(tmp_path), *option])
        assert result.exit_code == 2
        assert "is one of the linted files" in result.output
        assert target.read_text() == BAD_COMPOSE


def test_two_outputs_to_one_file_are_refused(tmp_path: Path) -> None:
    result = invoke(["check", str(DEMO), "-f", f"json:{tmp_path}/a", "-f", f"sarif:{tmp_path}/./a"])
    assert result.exit_code == 2 and "two reports" in result.output
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_exit_codes_do_not_depend_on_the_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "compose.yaml").write_text(BAD_COMPOSE)
    (tmp_path / "Dockerfile").write_text("FROM python:latest\n")
    out = str(tmp_path / "out.txt")
    for fail_on, expected in (("error", 1), ("warning", 1), ("info", 1), ("none", 0)):
        assert invoke(["check", str(tmp_path), "-f", f"{fmt}:{out}", "--fail-on", fail_on]
                             ).exit_code == expected
    assert invoke(["check", str(tmp_path / "Dockerfile"), "-f", fmt, "--fail-on", "error"]
                         ).exit_code == 0


def test_sarif_options_on_the_cli(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:latest\n")
    out = tmp_path / "r.sarif"
    assert invoke(["check", str(tmp_path), "-f", f"sarif:{out}", "--sarif-all-rules"]).exit_code == 1
    rules = check_sarif(out.read_text())["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) > 1 and "DC101" in {r["id"] for r in rules}
    assert invoke(["check", str(tmp_path), "-f", f"sarif:{out}", "--sarif-suppressed"]).exit_code == 1
    assert check_sarif(out.read_text())["runs"][0]["results"][0]["suppressions"] == []


def test_subprocess_sarif_to_stdout_and_text_to_file(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "kubelint_py", "check", "fixtures/demo", "--format", "sarif",
                             "--format", f"text:{tmp_path / 'report.txt'}"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    log = check_sarif(result.stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert "fixtures/demo/compose.yaml" in uris
    # The count grows as rule packs land: the text report must agree with the SARIF one.
    assert f"Found {len(log['runs'][0]['results'])} problems" in (tmp_path / "report.txt").read_text()


def test_readme_json_example_matches_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**`json`**", 1)[1]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    _validate_json(json.loads(example))
