"""The CLI: exit codes, options and outputs, in this process (tests/cli_support.py) and in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelint_py import __version__
from tests.cli_support import invoke

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"

CLEAN_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      automountServiceAccountToken: false
      containers:
        - name: web
          image: web:1.0.0
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {tcpSocket: {port: 80}}
          resources: {requests: {cpu: 100m}, limits: {memory: 128Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
"""


def test_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kubelint-py {__version__}"


def test_demo_project_has_findings_and_fails() -> None:
    result = invoke(["check", str(DEMO)])
    assert result.exit_code == 1, result.output
    assert "Dockerfile:1:1: DF301 [warning]" in result.output
    assert "compose.yaml:10:9: DC101 [error]" in result.output
    assert "Failing:" in result.output


def test_fail_on_threshold(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n")
    assert invoke(["check", str(tmp_path), "--fail-on", "error"]).exit_code == 1
    assert invoke(["check", str(tmp_path), "--fail-on", "none"]).exit_code == 0
    assert invoke(["check", str(tmp_path), "--ignore", "DC101"]).exit_code == 0


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(CLEAN_DEPLOYMENT)
    result = invoke(["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Found 0 problems" in result.output


def test_warning_only_passes_with_fail_on_error(tmp_path: Path) -> None:
    no_probe = CLEAN_DEPLOYMENT.replace("          readinessProbe: {httpGet: {path: /, port: 80}}\n", "")
    (tmp_path / "deploy.yaml").write_text(no_probe)
    assert invoke(["check", str(tmp_path)]).exit_code == 1
    assert invoke(["check", str(tmp_path), "--fail-on", "error"]).exit_code == 0


def test_select_by_name_and_unknown_selector(tmp_path: Path) -> None:
    result = invoke(["check", str(DEMO), "--select", "missing-readiness-probe", "-q"])
    assert result.exit_code == 1
    assert {line.split()[1] for line in result.output.splitlines()} == {"KS102"}
    bad = invoke(["check", str(DEMO), "--select", "no-such-rule"])
    assert bad.exit_code == 2
    assert "no rule matches 'no-such-rule'" in bad.output
    # Comma-separated, as ruff takes them, and mixed with repeats.
    listed = invoke(["check", str(DEMO), "--select", "KS102,KS101", "--select", "DC101", "--ignore", "KS101,", "-q"])
    assert {line.split()[1] for line in listed.output.splitlines()} == {"KS102", "DC101"}


def test_usage_errors_exit_2() -> None:
    assert invoke(["check", "--fail-on", "sometimes"]).exit_code == 2
    assert invoke(["check", "--format", "xml"]).exit_code == 2
    assert invoke(["explain", "NOPE999"]).exit_code == 2
    assert invoke(["check", "--no-such-option"]).exit_code == 2


def test_exclude_glob(tmp_path: Path) -> None:
    (tmp_path / "vendor2").mkdir()
    (tmp_path / "vendor2" / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    assert invoke(["check", str(tmp_path)]).exit_code == 1
    assert invoke(["check", str(tmp_path), "--exclude", "vendor2"]).exit_code == 0
    assert invoke(["check", str(tmp_path), "--exclude", "vendor2/**"]).exit_code == 0


def test_json_output_to_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke(["check", str(DEMO), "--format", "json", "--output", str(out)])
    assert result.exit_code == 1
    document = json.loads(out.read_text())
    assert document["version"] == 1
    assert document["summary"]["failed"] is True
    assert {f["code"] for f in document["findings"]} >= {"DF301", "DC101", "KS102", "KS501"}


def test_rules_and_explain() -> None:
    listing = invoke(["rules"])
    assert listing.exit_code == 0
    assert "KS102" in listing.output and "missing-readiness-probe" in listing.output
    as_json = json.loads(invoke(["rules", "--format", "json"]).output)
    assert any(r["code"] == "DF301" and r["format"] == "dockerfile" for r in as_json)
    explained = invoke(["explain", "missing-readiness-probe"])
    assert explained.exit_code == 0
    assert "Why is this bad?" in explained.output and "Example (bad)" in explained.output
    assert invoke(["explain", "DL3007"]).exit_code == 0  # hadolint alias


def test_parse_error_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    result = invoke(["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "KL001 [error] invalid YAML" in result.output
    assert "DC101" in result.output  # the other file is still linted
    assert "Traceback" not in result.output


def _run_subprocess(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_subprocess_module_entry_point() -> None:
    result = _run_subprocess("check", "fixtures/demo")
    assert result.returncode == 1, result.stderr
    assert "fixtures/demo/compose.yaml:10:9: DC101 [error]" in result.stdout
    assert "\x1b[" not in result.stdout
    assert result.stderr == ""


def test_subprocess_default_path_is_current_folder(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(CLEAN_DEPLOYMENT)
    result = _run_subprocess("check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX console script layout")
def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "kubelint-py"
    if not script.exists():
        pytest.skip("package not installed as a distribution in this environment")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and __version__ in result.stdout


def test_readme_rule_table_is_current() -> None:
    from kubelint_py.report.rule_docs import BEGIN, END, rule_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    current = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert current == rule_table(), "README rule table is stale: run `python -m kubelint_py.report.rule_docs README.md`"


def test_lint_with_another_cwd_reads_the_right_files(tmp_path: Path) -> None:
    from kubelint_py.api import lint
    from kubelint_py.engine.config import Config

    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    report = lint(["."], Config(select=("DC101", "KL003")), cwd=tmp_path)
    assert [(f.code, f.location.path, f.location.line) for f in report.active] == [("DC101", "compose.yaml", 4)]
