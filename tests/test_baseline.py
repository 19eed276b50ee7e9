"""Baselines: old findings stay matched when code moves; new instances are still reported."""

from __future__ import annotations

import json
from pathlib import Path

from kubelint_py.api import Report, lint
from kubelint_py.engine.config import Config
from kubelint_py.results.baseline import write_baseline
from tests.cli_support import invoke
from tests.rule_support import temporary_rule

CONTAINER = "        - name: {name}\n          image: {name}:1.0.0\n"


def deployment(name: str, containers: list[str]) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n    spec:\n      containers:\n"
            + "".join(CONTAINER.format(name=c) for c in containers))


def check(tmp_path: Path, baseline: Path | None = None) -> Report:
    return lint([str(tmp_path / "src")], Config(select=("KS102", "DF301", "DF999"), fail_on=None,
                                                 baseline=str(baseline) if baseline else None))


def active(report: Report) -> list[tuple[str, int, str]]:
    return [(Path(f.location.path).name, f.location.line, f.code) for f in report.active]


def record(tmp_path: Path) -> Path:
    target = tmp_path / "baseline.json"
    report = check(tmp_path)
    assert report.active
    write_baseline(report.findings, report.files, str(target))
    return target


def src(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_baseline_silences_recorded_findings(tmp_path: Path) -> None:
    src(tmp_path, "app.yaml", deployment("web", ["web", "sidecar"]))
    src(tmp_path, "Dockerfile", "FROM ubuntu:latest\n")
    baseline = record(tmp_path)
    report = check(tmp_path, baseline)
    assert active(report) == []
    assert {f.suppressed.justification for f in report.findings if f.suppressed} == {"baseline"}
    assert {f.suppressed.kind for f in report.findings if f.suppressed} == {"external"}
    assert len(report.findings) == 3


def test_inserted_lines_and_moved_documents_stay_matched(tmp_path: Path) -> None:
    first, second = deployment("web", ["web"]), deployment("api", ["api"])
    src(tmp_path, "app.yaml", first + "---\n" + second)
    baseline = record(tmp_path)
    # Unrelated lines above, and the documents swapped: every line number changes.
    src(tmp_path, "app.yaml", "# owned by the platform team\n\n" + second.replace(
        "metadata:\n  name: api", "metadata:\n  labels: {team: a}\n  name: api") + "---\n" + first)
    report = check(tmp_path, baseline)
    assert active(report) == []
    assert sum(1 for f in report.findings if f.suppressed) == 2


def test_new_instance_of_the_same_rule_in_the_same_file_is_reported(tmp_path: Path) -> None:
    src(tmp_path, "app.yaml", deployment("web", ["web"]))
    baseline = record(tmp_path)
    src(tmp_path, "app.yaml", deployment("web", ["cache", "web"]))
    assert active(check(tmp_path, baseline)) == [("app.yaml", 12, "KS102")]
    # The same container in another object is new too.
    src(tmp_path, "app.yaml", deployment("web", ["web"]) + "---\n" + deployment("web2", ["web"]))
    report = check(tmp_path, baseline)
    assert len(report.active) == 1 and report.active[0].location.line > 14


def test_identical_copies_are_counted(tmp_path: Path) -> None:
    with temporary_rule():
        src(tmp_path, "Dockerfile", "FROM alpine:3.20\nRUN make\n")
        baseline = record(tmp_path)
        src(tmp_path, "Dockerfile", "FROM alpine:3.20\nRUN make\nRUN make\n")
        assert active(check(tmp_path, baseline)) == [("Dockerfile", 3, "DF999")]
        # Moving the instruction into another (named) stage makes it a different finding.
        src(tmp_path, "Dockerfile", "FROM alpine:3.20\nFROM alpine:3.20 AS build\nRUN make\n")
        assert active(check(tmp_path, baseline)) == [("Dockerfile", 3, "DF999")]


def test_fixed_findings_drop_out_and_the_file_holds_no_content(tmp_path: Path) -> None:
    src(tmp_path, "app.yaml", deployment("web", ["web"]))
    baseline = record(tmp_path)
    document = json.loads(baseline.read_text())
    assert document["version"] == 1
    assert [(e["path"], e["code"], e["object"], e["count"]) for e in document["findings"]] == [
        ("src/app.yaml", "KS102", "Deployment//web", 1)]
    assert "web:1.0.0" not in baseline.read_text()


def test_cli_write_then_use_baseline(tmp_path: Path) -> None:
    src(tmp_path, "compose.yaml", "services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    target = tmp_path / "known.json"
    written = invoke(["check", str(tmp_path / "src"), "--write-baseline", str(target)])
    assert written.exit_code == 0, written.output
    assert "recorded 1 finding in" in written.output
    assert invoke(["check", str(tmp_path / "src"), "--baseline", str(target)]).exit_code == 0
    src(tmp_path, "compose.yaml", "services:\n  a:\n    image: x:1\n    depends_on: [b]\n"
                                  "  c:\n    image: x:1\n    depends_on: [d]\n")
    result = invoke(["check", str(tmp_path / "src"), "--baseline", str(target), "-q"])
    assert result.exit_code == 1
    assert result.output.count("DC101") == 1 and "compose.yaml:7:" in result.output


def test_missing_or_invalid_baseline_is_a_usage_error(tmp_path: Path) -> None:
    src(tmp_path, "Dockerfile", "FROM alpine:3.20\n")
    result = invoke(["check", str(tmp_path / "src"), "--baseline", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "does not exist" in result.output
    (tmp_path / "bad.json").write_text('{"findings": 3}')
    result = invoke(["check", str(tmp_path / "src"), "--baseline", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "is not a kubelint-py baseline" in result.output
