"""The cache layer cannot lie: a replayed report is the fresh one, field by field, in every output mode
and in baselines written from it (issue 21)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.engine.config import Config
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.report import FORMATS, get_renderer
from kubelint_py.results.baseline import baseline_document

ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          env:
            - name: PASSWORD
              value: hunter2hunter2  # kubelint: ignore=KS401 -- test value
"""

COMPOSE = """\
services:
  api:
    build: ./api
    env_file: web.env
    privileged: true
    ports: ["8080:80"]
"""

DOCKERFILE = """\
FROM python:3
COPY . /app
RUN pip install flask
USER root
"""


def make_project(root: Path) -> Path:
    (root / "k8s").mkdir(parents=True)
    (root / "k8s" / "app.yaml").write_text(DEPLOYMENT)
    (root / "api").mkdir()
    (root / "api" / "Dockerfile").write_text(DOCKERFILE)
    (root / "api" / ".env").write_text("TOKEN=x\n")
    (root / "compose.yaml").write_text(COMPOSE)
    (root / "web.env").write_text("A=b\n")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_project(tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "project"


def file_fields(source: SourceFile, with_findings: set[str]) -> tuple[Any, ...]:
    """Every field of a reported file that anything after the rules reads (the outline of its objects
    only matters, to baselines, for a file with findings)."""
    from kubelint_py.results.outline import object_outline

    return (source.path, source.kind, source.text, source.explicit, source.fs_path, source.companion,
            source.build_context, object_outline(source) if source.path in with_findings else None)


def report_fields(report: Report) -> dict[str, Any]:
    return {
        "findings": list(report.findings),
        "files": [file_fields(f, {finding.location.path for finding in report.findings}) for f in report.files],
        "linted": [f.path for f in report.linted_files],
        "context": [(f.path, f.kind, f.explicit, f.fs_path, f.companion) for f in report.context],
        "rules": [r.code for r in report.rules],
        "internal_errors": report.internal_errors,
        "counts": report.counts(),
        "failed": report.failed,
        "config": report.config,
    }


def rendered(report: Report) -> dict[str, str]:
    from kubelint_py.report.sarif import render as render_sarif

    report.duration = 0.0
    outputs = {name: get_renderer(name)(report) for name in FORMATS}
    outputs["sarif-all"] = render_sarif(report, all_rules=True, suppressions=True)
    outputs["baseline"] = json.dumps(baseline_document(report.findings, report.files, "baseline.json"))
    return outputs


@pytest.mark.parametrize("project_scope", [False, True])
def test_a_replayed_report_is_the_fresh_one_field_by_field(project: Path, project_scope: bool) -> None:
    config = Config(project_root=str(project) if project_scope else None)
    paths = ["k8s/app.yaml", "compose.yaml"] if project_scope else ["."]
    fresh = lint(paths, config)
    replayed = lint(paths, config)
    assert not fresh.replayed and replayed.replayed
    assert fresh.findings and any(f.suppressed for f in fresh.findings)
    assert report_fields(replayed) == report_fields(fresh)
    assert rendered(replayed) == rendered(fresh)
    # ... and it is what a run without the cache gives
    assert report_fields(lint(paths, Config(project_root=config.project_root, use_cache=False))) \
        == {**report_fields(fresh), "config": Config(project_root=config.project_root, use_cache=False)}


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kubelint_py", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def _normalised(name: str, content: str) -> Any:
    """An output with its duration taken out (the one field that differs between two runs)."""
    if name in ("json", "sarif"):
        document = json.loads(content)
        if name == "json":
            document.get("summary", {}).pop("durationSeconds", None)
        return document
    content = re.sub(r' time="\d+(\.\d+)?"', ' time="<t>"', content)  # JUnit XML
    return re.sub(r" in \d+\.\d+s\.", " in <t>s.", content)


def test_every_output_mode_and_baseline_from_the_cli_are_the_same_replayed(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"  # outside the linted tree: a new file there would change the run's inputs
    out.mkdir()
    assert _cli(project, ".").returncode == 1  # fills the cache
    runs = [*FORMATS, "baseline"]
    for name in runs:
        fresh_args = ["--write-baseline", str(out / "fresh")] if name == "baseline" \
            else ["--format", f"{name}:{out / 'fresh'}"]
        fresh = _cli(project, "--no-cache", *fresh_args, ".")
        replayed = _cli(project, *[arg.replace("fresh", "replayed") for arg in fresh_args], ".")
        assert (fresh.returncode, fresh.stderr.replace("fresh", "replayed")) == (replayed.returncode, replayed.stderr)
        assert _normalised(name, (out / "replayed").read_text()) == _normalised(name, (out / "fresh").read_text()), \
            name
    assert len(list((tmp_path / "cache").glob("*/runs/*"))) == 1  # every run after the first was replayed


def test_a_baseline_written_from_a_replayed_run_still_matches_after_lines_move(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 21's report: a SARIF run fills the cache, the --write-baseline run is replayed from it and
    # used to record every finding with an empty object, so inserting a line un-baselined them all.
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    assert _cli(tmp_path, "app.yaml", "--format", "sarif", "--output", "o.sarif").returncode == 1
    assert _cli(tmp_path, "app.yaml", "--write-baseline", "bl.json").returncode == 0
    recorded = json.loads((tmp_path / "bl.json").read_text())["findings"]
    assert recorded and all(entry["object"] == "Deployment//web" for entry in recorded)
    (tmp_path / "app.yaml").write_text("# comment\n" + DEPLOYMENT)
    after = _cli(tmp_path, "app.yaml", "--baseline", "bl.json", "--format", "json")
    assert after.returncode == 0, after.stdout
    assert [f for f in json.loads(after.stdout)["findings"] if not f.get("suppressed")] == []
