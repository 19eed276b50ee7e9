"""Charts rendered with text held in memory (standard input, lint_contents, the language server's
buffers) in place of their files, and values files named alone reported at the lines that set a value."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint, lint_contents
from kubelint_py.building.helm import renderer as renderer_mod
from kubelint_py.core.findings import Finding
from kubelint_py.engine.config import Config
from kubelint_py.engine.config_file import build_config

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "helm" / "shop"
CHART = "charts/shop/templates/deployment.yaml"
SUBCHART = "charts/shop/charts/cache/templates/deployment.yaml"
PROD = "charts/shop/values-prod.yaml"

pytestmark = pytest.mark.skipif(not renderer_mod.sdk_available() and not os.environ.get("CI"),
                                reason="helm-python-sdk (the `helm` extra, in the test extra) is not installed")

SIDECAR = ("          imagePullPolicy: {{ .Values.image.pullPolicy }}\n"
           "        - name: side\n"
           "          image: busybox:latest\n")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    copy = tmp_path / "shop"
    shutil.copytree(SHOP, copy)
    monkeypatch.chdir(copy)
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    yield copy


def _config(select: tuple[str, ...], cache: bool = False) -> Config:
    config = build_config(["."])
    config.select = select
    config.use_cache = cache
    config.fail_on = None
    return config


def _where(report: Report) -> set[tuple[str, str, int]]:
    return {(f.code, f.location.path, f.location.line) for f in report.active}


def _with_sidecar(shop: Path) -> str:
    text = (shop / CHART).read_text()
    line = "          imagePullPolicy: {{ .Values.image.pullPolicy }}\n"
    assert line in text
    return text.replace(line, SIDECAR)


def test_an_unsaved_template_is_rendered_as_edited(shop: Path) -> None:
    on_disk = (shop / CHART).read_text()
    report = lint_contents({CHART: _with_sidecar(shop)}, _config(("KS201", "KL")))
    found = _where(report)
    assert ("KS201", CHART, 22) in found, "the sidecar exists only in the buffer"
    assert ("KS201", CHART, 19) in found, "and the template's own findings stay at their lines"
    assert not any(f.code == "KL002" for f in report.active)
    assert {f.location.path for f in report.active} == {CHART}, "only the given path is reported"
    assert (shop / CHART).read_text() == on_disk
    assert ("KS201", CHART, 22) not in _where(lint([CHART], _config(("KS201",))))


def test_a_broken_buffer_fails_its_render_at_the_buffer_line(shop: Path) -> None:
    text = (shop / CHART).read_text().replace("{{ .Values.replicaCount }}", "{{ .Values.replicaCount | nosuch }}")
    report = lint_contents({CHART: text}, _config(("KL010",)))
    assert _where(report) == {("KL010", CHART, 8)}


def test_an_unsaved_values_file_reports_at_the_line_that_set_the_value(shop: Path) -> None:
    report = lint_contents({PROD: (shop / PROD).read_text()}, _config(("KS201", "KS101")))
    assert _where(report) == {("KS201", PROD, 4), ("KS101", PROD, 8), ("KS201", PROD, 12)}
    by_line = {f.location.line: f for f in report.active}
    assert any(r.location.path == CHART and r.location.line == 19 for r in by_line[4].related)
    assert any(r.location.path == SUBCHART and r.location.line == 16 for r in by_line[12].related)
    assert ".Values.image.tag = latest" in by_line[4].message
    pinned = (shop / PROD).read_text().replace("image:\n  tag: latest", "image:\n  tag: 2.0.0")
    assert pinned != (shop / PROD).read_text()
    report = lint_contents({PROD: pinned}, _config(("KS201", "KS101")))
    assert _where(report) == {("KS101", PROD, 8), ("KS201", PROD, 12)}, "the buffer, not the disk, was rendered"


def test_overlaid_renders_are_cached_by_the_buffer_text(shop: Path) -> None:
    config = _config(("KS201",), cache=True)
    assert ("KS201", CHART, 22) in _where(lint_contents({CHART: _with_sidecar(shop)}, config))
    assert ("KS201", CHART, 22) not in _where(lint_contents({CHART: (shop / CHART).read_text()}, config))
    assert ("KS201", CHART, 22) in _where(lint_contents({CHART: _with_sidecar(shop)}, config))


def test_a_values_file_no_render_reads_gets_a_render_of_its_own(shop: Path) -> None:
    (shop / ".kubelint.yaml").unlink()
    extra = shop / "charts/shop/values-staging.yaml"
    extra.write_text("image:\n  tag: latest\n")
    report = lint_contents({"charts/shop/values-staging.yaml": extra.read_text()}, _config(("KS201",)))
    assert _where(report) == {("KS201", "charts/shop/values-staging.yaml", 2)}
    assert "values-staging.yaml" in report.active[0].message


def test_a_values_file_named_on_the_command_line(shop: Path) -> None:
    """The pre-commit hook names the changed files: a changed values file renders its chart."""
    report = lint([PROD], _config(("KS201",)))
    assert _where(report) == {("KS201", PROD, 4), ("KS201", PROD, 12)}


def test_standard_input_named_as_a_template(shop: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kubelint_py", "check", "-", "--stdin-filename", CHART,
                           "--select", "KS201", "--no-cache", "--format", "json"],
                          input=_with_sidecar(shop), capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    import json

    found = {(f["code"], f["location"]["path"] if "location" in f else f["path"], f["location"]["line"]
              if "location" in f else f["line"]) for f in _findings(json.loads(done.stdout))}
    assert ("KS201", CHART, 22) in found and ("KS201", CHART, 19) in found


def _findings(document: object) -> list[dict[str, object]]:
    if isinstance(document, dict):
        for key in ("findings", "results"):
            if isinstance(document.get(key), list):
                return list(document[key])
    assert isinstance(document, list)
    return list(document)


def test_the_language_server_renders_open_chart_buffers(shop: Path) -> None:
    pytest.importorskip("pygls")
    from kubelint_py.lsp.session import Workspace

    workspace = Workspace(shop)
    workspace.load()
    workspace.config.select = ("KS201",)
    workspace.open(str(shop / CHART), _with_sidecar(shop))
    found = workspace.findings([CHART])[CHART]
    assert {f.location.line for f in found if f.code == "KS201"} == {19, 22}
    assert not any(f.code == "KL002" for f in found)
    process = workspace._renderer.process
    assert process is not None and process.poll() is None, "the render process is kept between edits"
    workspace.open(str(shop / CHART), (shop / CHART).read_text())
    assert {f.location.line for f in workspace.findings([CHART])[CHART] if f.code == "KS201"} == {19}
    assert workspace._renderer.process is process
    workspace.open(str(shop / PROD), (shop / PROD).read_text().replace("image:\n  tag: latest", "image:\n  tag: 2"))
    values = workspace.findings([PROD])[PROD]
    assert {(f.code, f.location.line) for f in values} == {("KS201", 12)}
    assert all(isinstance(f, Finding) for f in values)
    everything = workspace.all_findings()  # workspace/diagnostic: every chart rendered, buffers in place
    assert not any(f.code == "KS201" for f in everything[CHART]), "the values buffer pinned the web tag"
    assert {(f.code, f.location.line) for f in everything[SUBCHART] if f.code == "KS201"} == {("KS201", 16)}
    assert not any(f.code == "KL002" for found in everything.values() for f in found)
    workspace.end_renders()
    assert process.poll() is not None


def test_a_named_values_file_is_not_replayed_after_its_chart_changed(shop: Path) -> None:
    """The whole-run replay key of a run naming a values file covers the chart it renders."""
    config = _config(("KS201",), cache=True)
    assert _where(lint([PROD], config)) == {("KS201", PROD, 4), ("KS201", PROD, 12)}
    template = shop / SUBCHART
    template.write_text(template.read_text().replace(":{{ .Values.image.tag }}", ":7.2.4"))
    assert template.read_text().count(":7.2.4") == 1
    assert _where(lint([PROD], config)) == {("KS201", PROD, 4)}


def test_a_new_template_not_yet_on_the_disk(shop: Path) -> None:
    new = "charts/shop/templates/job.yaml"
    text = ("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-once\nspec:\n  template:\n"
            "    spec:\n      restartPolicy: Never\n      containers:\n        - name: once\n"
            "          image: busybox:{{ .Values.image.tag | default \"latest\" }}\n")
    assert not (shop / new).exists()
    report = lint_contents({new: text}, _config(("KS201",)))
    found = [f for f in report.active if f.location.path == new]
    assert [(f.code, f.location.line) for f in found] == [("KS201", 11)]
    assert any(r.location.path == PROD and r.location.line == 4 for r in found[0].related)


def test_the_language_server_publishes_template_and_values_lines(shop: Path) -> None:
    """Over the protocol, from a server whose working folder is not the workspace."""
    pytest.importorskip("pygls")
    import asyncio

    from test_lsp import language_server

    sidecar = _with_sidecar(shop)

    async def script() -> None:
        async with language_server(shop) as scripted:
            uri = scripted.open(shop / CHART, sidecar)
            found = await scripted.until(uri, lambda found: any(d.code == "KS201" and d.range.start.line == 21
                                                                for d in found))
            assert not any(d.code == "KL002" for d in found)
            values = scripted.open(shop / PROD, (shop / PROD).read_text())
            at = await scripted.until(values, lambda found: any(d.code == "KS201" for d in found))
            assert {d.range.start.line for d in at if d.code == "KS201"} == {3, 11}
            count = scripted.counts[values]
            scripted.replace(values, (shop / PROD).read_text().replace("image:\n  tag: latest", "image:\n  tag: 2"), 2)
            after = await scripted.next_publish(values, count)
            assert {d.range.start.line for d in after if d.code == "KS201"} == {11}

    asyncio.run(script())


@pytest.mark.skipif(not os.environ.get("KUBELINT_TEST_HELM"),
                    reason="KUBELINT_TEST_HELM names no real helm binary (CI has none: the fallback's plumbing is "
                           "tested with the recorded stand-in in test_helm.py)")
def test_a_buffer_rendered_by_a_real_helm_binary(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The helm binary fallback renders the copy with the buffer written in, like the SDK."""
    from kubelint_py.building.helm import stage

    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "helm").symlink_to(os.environ["KUBELINT_TEST_HELM"])
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(stage, "sdk_available", lambda: False)
    assert str(stage._renderer_identity()).startswith("helm:")
    report = lint_contents({CHART: _with_sidecar(shop)}, _config(("KS201",)))
    assert _where(report) == {("KS201", CHART, 19), ("KS201", CHART, 22)}
    values = lint_contents({PROD: (shop / PROD).read_text()}, _config(("KS201",)))
    assert _where(values) == {("KS201", PROD, 4), ("KS201", PROD, 12)}


def test_files_in_a_chart_folder_that_are_not_values_files() -> None:
    from kubelint_py.building.helm.charts import is_values_file

    shop = str(SHOP / "charts" / "shop")
    assert is_values_file(os.path.join(shop, "values-prod.yaml"))
    assert is_values_file(os.path.join(shop, "values-new.yaml")), "a new file: its folder holds Chart.yaml"
    for name in ("Chart.yaml", "Chart.lock", ".kubelint.yaml", "kustomization.yaml", "notes.txt"):
        assert not is_values_file(os.path.join(shop, name)), name
    assert not is_values_file(os.path.join(shop, "templates", "deployment.yaml"))
    assert is_values_file(str(ROOT / "elsewhere" / "prod.yaml"), {str(ROOT / "elsewhere" / "prod.yaml")})
