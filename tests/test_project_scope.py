"""Given only some files, references resolve against the whole project; only those files are reported."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.discovery.project_root import find_project_root
from kubelint_py.engine.config import Config
from tests.cli_support import invoke

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.org/api:1.4.2
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
"""


def service(name: str, app_label: str) -> str:
    return f"""\
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: shop}}
spec:
  selector:
    app: {app_label}
  ports: [{{port: 80, targetPort: 8080}}]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose pods live in one file and whose Services live in others."""
    (tmp_path / "workloads").mkdir()
    (tmp_path / "workloads" / "api.yaml").write_text(DEPLOYMENT)
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "api.yaml").write_text(service("api", "api"))
    # A broken Service in a file nobody touches: never reported when only other files are checked.
    (tmp_path / "services" / "legacy.yaml").write_text(service("legacy", "gone"))
    (tmp_path / ".kubelint.yaml").write_text("# project marker\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes_by_file(findings: list[object]) -> set[tuple[str, str]]:
    return {(f.location.path, f.code) for f in findings}  # type: ignore[attr-defined]


def test_reference_into_an_unchanged_file_resolves(project: Path) -> None:
    alone = lint(["services/api.yaml"], Config())
    assert ("services/api.yaml", "KS501") in codes_by_file(alone.findings)  # no context: pods look missing
    scoped = lint(["services/api.yaml"], Config(project_root=str(project)))
    assert "KS501" not in {f.code for f in scoped.findings}
    assert [f.path for f in scoped.files] == ["services/api.yaml"]
    assert {f.path for f in scoped.context if f.kind == "kubernetes"} == {"workloads/api.yaml", "services/legacy.yaml"}


def test_a_new_broken_reference_in_the_changed_file_is_reported(project: Path) -> None:
    (project / "services" / "api.yaml").write_text(service("api", "api-v2"))
    scoped = lint(["services/api.yaml"], Config(project_root=str(project)))
    found = [f for f in scoped.findings if f.code == "KS501"]
    assert [(f.location.path, f.location.line) for f in found] == [("services/api.yaml", 5)]


DEPLOYMENT_WITH_SECRET = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: registry.example.org/worker:2.0.1
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: SECRET_NAME, key: password}}
"""


@pytest.mark.parametrize("use_cache", [True, False])
def test_a_deployment_changed_alone_resolves_its_secret_in_an_unchanged_file(
        project: Path, use_cache: bool, monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    # outside the project: a cache inside the linted tree is refused
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path_factory.mktemp("outside") / "cache"))
    (project / "secrets.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: worker-db, namespace: shop}\nstringData: {password: x}\n")
    (project / "workloads" / "worker.yaml").write_text(DEPLOYMENT_WITH_SECRET.replace("SECRET_NAME", "worker-db"))
    config = Config(project_root=str(project), use_cache=use_cache)
    for _ in range(2):  # the second run with the context summarised (lazy context) when the cache is on
        changed = lint(["workloads/worker.yaml"], config)
        assert not {"KS603", "KS605"} & {f.code for f in changed.findings}
    (project / "workloads" / "worker.yaml").write_text(DEPLOYMENT_WITH_SECRET.replace("SECRET_NAME", "worker-dbb"))
    broken = lint(["workloads/worker.yaml"], config)
    assert [(f.code, f.location.path, f.location.line) for f in broken.findings if f.code == "KS603"] == \
        [("KS603", "workloads/worker.yaml", 14)]


def configmaps(*names: str, level: str = "info") -> str:
    return "---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\n"
                         f"data: {{LOG_LEVEL: {level}}}\n" for name in names)


@pytest.mark.parametrize("name", ["aaa.yaml", "zzz.yaml"])
def test_a_duplicate_added_in_the_changed_file_is_reported_wherever_it_sorts(project: Path, name: str) -> None:
    (project / "services" / "settings.yaml").write_text(configmaps("one", "two", "three", "four", "five"))
    (project / "services" / name).write_text(configmaps("six", "seven", "eight", "nine", "one", level="debug"))
    scoped = lint([f"services/{name}"], Config(project_root=str(project)))
    found = [(f.location.path, f.location.line) for f in scoped.findings if f.code == "KS612"]
    assert found == [(f"services/{name}", 23)]


def test_findings_of_unchanged_files_are_not_reported(project: Path) -> None:
    everything = lint(["."], Config())
    assert ("services/legacy.yaml", "KS501") in codes_by_file(everything.findings)
    scoped = lint(["workloads/api.yaml", "services/api.yaml"], Config(project_root=str(project)))
    assert all(f.location.path in ("workloads/api.yaml", "services/api.yaml") for f in scoped.findings)


def test_the_cli_finds_the_project_by_itself(project: Path) -> None:
    (project / "services" / "api.yaml").write_text(service("api", "api"))
    assert invoke(["check", "services/api.yaml"]).exit_code == 0
    isolated = invoke(["check", "--no-project", "services/api.yaml"])
    assert isolated.exit_code == 1 and "services/api.yaml:5:3: KS501" in isolated.output
    explicit = invoke(["check", "--project-root", str(project / "workloads"), "services/api.yaml"])
    assert explicit.exit_code == 0
    assert invoke(["check", "--project-root", "missing", "services/api.yaml"]).exit_code == 2


def test_project_root_is_the_config_folder_else_git_else_the_common_parent(tmp_path: Path) -> None:
    nested = tmp_path / "repo" / "deploy" / "app"
    nested.mkdir(parents=True)
    (nested / "x.yaml").write_text("kind: ConfigMap\n")
    (nested.parent / "y.yaml").write_text("kind: ConfigMap\n")
    real = Path(os.path.realpath(tmp_path))
    assert find_project_root([str(nested / "x.yaml")]) == real / "repo" / "deploy" / "app"
    assert find_project_root([str(nested / "x.yaml"), str(nested.parent / "y.yaml")]) == real / "repo" / "deploy"
    if shutil.which("git") is not None:
        subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
        assert find_project_root([str(nested / "x.yaml")]) == (tmp_path / "repo").resolve()
    (tmp_path / "repo" / "deploy" / ".kubelint.yaml").write_text("")
    assert find_project_root([str(nested / "x.yaml")]) == tmp_path / "repo" / "deploy"


def test_no_common_parent_context_from_the_home_or_temporary_folder(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.yaml").write_text("kind: ConfigMap\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_project_root([str(tmp_path / "x.yaml")]) is None
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert find_project_root([str(tmp_path / "x.yaml")]) is None
    monkeypatch.setenv("TMPDIR", "/nonexistent")
    assert find_project_root([str(tmp_path / "x.yaml")]) == Path(os.path.realpath(tmp_path))
