"""Helm charts rendered by Helm's own engine (helm-python-sdk), findings at template and values lines."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import Report, lint, lint_contents
from kubelint_py.building.helm import binary as binary_mod
from kubelint_py.building.helm import renderer as renderer_mod
from kubelint_py.building.helm import stage
from kubelint_py.building.helm.mapping import LineTable
from kubelint_py.building.helm.template_text import mark, scan_actions, unmark
from kubelint_py.core.findings import Finding, Severity
from kubelint_py.engine.config import Config
from kubelint_py.engine.config_file import build_config

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "helm" / "shop"
CHART = "charts/shop/templates/deployment.yaml"
SUBCHART = "charts/shop/charts/cache/templates/deployment.yaml"

# The test extra installs the renderer; CI (CI=true) must render for real, so there a missing one fails.
needs_sdk = pytest.mark.skipif(not renderer_mod.sdk_available() and not os.environ.get("CI"),
                               reason="helm-python-sdk (the `helm` extra, in the test extra) is not installed")


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    copy = tmp_path / "shop"
    shutil.copytree(SHOP, copy)
    monkeypatch.chdir(copy)
    yield copy


def _lint(select: tuple[str, ...], **settings: object) -> Report:
    config = build_config(["."])
    config.select = select
    config.use_cache = False
    config.fail_on = None
    for key, value in settings.items():
        setattr(config, key, value)
    return lint(["."], config)


def _where(findings: list[Finding]) -> set[tuple[str, str, int]]:
    return {(f.code, f.location.path, f.location.line) for f in findings}


# --- marking templates (no Helm needed) ----------------------------------------------------------


def test_scanner_skips_strings_comments_and_raw_strings() -> None:
    text = 'a: {{ "}}" }}\nb: {{/* }} */}}\nc: {{ `}}` | quote -}}\n'
    actions = scan_actions(text)
    assert actions is not None
    assert [a.keyword for a in actions] == ["", "/*", ""]
    assert actions[2].right_trim and not actions[0].right_trim


def test_markers_avoid_trimmed_newlines_and_defines() -> None:
    text = ("{{- define \"x\" -}}\nhelper: 1\n{{- end }}\n"
            "key: v\n"
            "{{- if .a -}}\n"
            "trail: 1   \n"
            "{{ end }}\n")
    marked = mark(text, "N", 0)
    lines = marked.split("\n")
    assert "@@" not in lines[1], "text inside a define is captured by include: never marked"
    assert lines[3].endswith("@@klN:0:4@@")
    assert "@@klN:0:5" not in marked, "a newline after `-}}` is trimmed: a marker would stop the trim"
    assert "@@klN:0:6" not in marked, "a line ending in blanks: a trim could reach across the marker"
    assert "{{ else }}@@klNs:0:5@@{{ end }}" in marked
    # An empty line before `{{-`: the trim removes both newlines, a marker between them would keep one.
    assert "@@klN:0:2@@" not in mark("a: 1\n\n{{- if .x }}\nb: 2\n{{ end }}\n", "N", 0)


def test_unmark_gives_lines_to_the_marker_that_follows() -> None:
    rendered = "a: 1@@klN:0:1@@\nlabels:@@klN:0:2@@\n  x: 1\n  y: 2@@klN:0:3@@\n@@klNs:0:9@@z: 3@@klN:0:4@@"
    mapped = unmark(rendered, "N", 0)
    assert mapped.text == "a: 1\nlabels:\n  x: 1\n  y: 2\nz: 3"
    assert mapped.lines == [1, 2, 3, 3, 4]
    assert mapped.skipped == [(4, 9)]


def test_columns_on_expression_lines_point_at_the_expression() -> None:
    table = LineTable([1, 2], ["  name: web", "  image: nginx:1.2"],
                      ["  name: web", "  image: {{ .Values.image }}"])
    assert table.column(1, 9) == 9
    assert table.column(2, 10) == 10  # inside the literal prefix `  image: `
    assert table.column(2, 12) == 10  # past it: the `{{`
    assert table.column(2, 19, end=True) == len("  image: {{ .Values.image }}") + 1


# --- real renders ---------------------------------------------------------------------------------


@needs_sdk
def test_values_driven_problems_appear_only_in_the_render_that_has_them(shop: Path) -> None:
    report = _lint(("KS201", "KS101", "KL"))
    found = {(f.code, f.location.path, f.location.line, f.location.column) for f in report.active}
    assert found == {
        ("KS201", CHART, 19, 18),
        ("KS101", CHART, 18, 17),
        ("KS201", SUBCHART, 16, 18),
    }
    assert all(f.message.endswith("(render prod)") for f in report.active)
    by_code = {(f.code, f.location.path): f for f in report.active}
    tag = by_code[("KS201", CHART)].related
    assert any(r.location.path == "charts/shop/values-prod.yaml" and r.location.line == 4
               and ".Values.image.tag = latest" in r.message for r in tag)
    probe = by_code[("KS101", CHART)].related
    assert any(r.location.path == "charts/shop/values-prod.yaml" and r.location.line == 8 for r in probe)
    assert any(r.location.path == CHART and r.location.line == 24 for r in probe)
    # The subchart's tag came from the parent's values-prod.yaml under `cache:` (values scoping).
    sub = by_code[("KS201", SUBCHART)].related
    assert any(r.location.path == "charts/shop/values-prod.yaml" and r.location.line == 12 for r in sub)


@needs_sdk
def test_rendered_templates_lose_kl002(shop: Path) -> None:
    report = _lint(("KL002",))
    assert report.active == []
    kinds = {f.path: f.kind for f in report.files}
    assert kinds[CHART] == "kubernetes"


@needs_sdk
def test_same_line_in_several_renders_is_reported_once_naming_them(shop: Path) -> None:
    report = _lint(("KS303",))  # runs as root in both renders
    at_web = [f for f in report.active if f.location.path == CHART]
    assert len(at_web) == 1
    assert at_web[0].message.endswith("(renders default, prod)")


@needs_sdk
def test_default_render_takes_command_line_values(shop: Path) -> None:
    (shop / ".kubelint.yaml").unlink()
    assert _where(_lint(("KS201",)).active) == set()
    report = _lint(("KS201",), helm_set=("image.tag=latest",))
    assert _where(report.active) == {("KS201", CHART, 19)}
    report = _lint(("KS201", "KS101"), helm_values=("charts/shop/values-prod.yaml",))
    assert _where(report.active) == {("KS201", CHART, 19), ("KS101", CHART, 18), ("KS201", SUBCHART, 16)}


@needs_sdk
def test_suppression_comment_in_a_template(shop: Path) -> None:
    path = shop / CHART
    lines = path.read_text().split("\n")
    lines[18] += "  # kubelint: ignore=KS201 -- prod pins by digest at deploy time"
    path.write_text("\n".join(lines))
    report = _lint(("KS201",))
    web = [f for f in report.findings if f.location.path == CHART]
    assert len(web) == 1 and web[0].suppressed is not None
    assert [f for f in report.active if f.code == "KL007"] == []


@needs_sdk
def test_render_failure_is_reported_where_helm_says(shop: Path) -> None:
    path = shop / CHART
    path.write_text(path.read_text().replace("{{ .Values.replicaCount }}", "{{ .Values.replicaCount | nosuch }}"))
    report = _lint(("KL010",))
    assert _where(report.active) == {("KL010", CHART, 8)}
    assert [f.severity for f in report.active] == [Severity.ERROR]  # a template that cannot work
    path.write_text(path.read_text().replace("{{ .Values.replicaCount | nosuch }}",
                                             '{{ required "replicas" .Values.nothing }}'))
    failure = _lint(("KL010",)).active
    assert [(f.location.line, f.location.column) for f in failure] == [(8, 16)]
    assert "replicas" in failure[0].message
    # `required` (or `fail`) asks the installer for a value on purpose: a warning that says how to give it.
    assert failure[0].severity is Severity.WARNING and "--helm-values" in failure[0].message


@needs_sdk
def test_missing_dependency_is_a_warning_at_its_line(shop: Path) -> None:
    shutil.rmtree(shop / "charts/shop/charts/cache")
    report = _lint(("KL011",))
    assert _where(report.active) == {("KL011", "charts/shop/Chart.yaml", 7)}
    # Most repositories fetch dependencies with `helm dependency build`: not certainly a mistake.
    assert [f.severity for f in report.active] == [Severity.WARNING]


@needs_sdk
def test_a_render_that_fails_for_want_of_a_dependency_is_part_of_kl011(shop: Path) -> None:
    """A template that calls the missing subchart's helper cannot render: one KL011 carries that failure as
    its related location, with no KL010 error of its own."""
    shutil.rmtree(shop / "charts/shop/charts/cache")
    (shop / "charts/shop/templates/uses-cache.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"cache.fullname\" . }}\n")
    report = _lint(("KL010", "KL011"))
    [finding] = report.active
    assert finding.code == "KL011" and "does not render without it" in finding.message
    assert any(r.location.path.endswith("uses-cache.yaml") and r.location.line == 4 for r in finding.related)


@needs_sdk
def test_without_a_renderer_kl002_names_the_extra(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "sdk_available", lambda: False)
    monkeypatch.setattr(stage, "find_helm", lambda: None)
    report = _lint(("KL002",))
    assert report.active
    assert all("kubelint-py[helm]" in f.message for f in report.active)


@needs_sdk
def test_a_render_over_its_time_limit_is_stopped(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "Renderer", lambda: renderer_mod.Renderer(timeout=0.001))
    report = _lint(("KL010",))
    assert report.active and all("longer than" in f.message for f in report.active)


@needs_sdk
def test_renders_are_cached_by_content_and_values(shop: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    config = build_config(["."])
    config.select = ("KS201", "KS101")
    first = _where(lint(["."], config).active)
    calls: list[object] = []
    original = renderer_mod.Renderer.render

    def counting(self: renderer_mod.Renderer, request: renderer_mod.RenderRequest) -> dict[str, object]:
        calls.append(request)
        return original(self, request)

    monkeypatch.setattr(renderer_mod.Renderer, "render", counting)
    assert _where(lint(["."], config).active) == first
    assert calls == []
    values = shop / "charts/shop/values-prod.yaml"
    values.write_text(values.read_text().replace("tag: latest\n\nprobes", "tag: 2.0.0\n\nprobes"))
    assert ("KS201", CHART, 19) not in _where(lint(["."], config).active)
    assert len(calls) == 2  # values-prod.yaml is in the chart folder: chart content of both renders
    calls.clear()
    (shop / "README.md").write_text("outside the chart\n")
    lint(["."], config)
    assert calls == []


@needs_sdk
def test_lookup_and_dns_give_nothing(tmp_path: Path) -> None:
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        "  host: {{ getHostByName \"localhost\" | quote }}\n"
        "  found: {{ lookup \"v1\" \"Secret\" \"default\" \"x\" | len | quote }}\n")
    answer = renderer_mod.Renderer().render(renderer_mod.RenderRequest(str(chart), [], [], "r", "default", "n"))
    text = answer["outputs"][0]["text"]
    assert 'host: ""' in text and 'found: "0"' in text


def test_charts_inside_charts_folders_render_with_their_parent(tmp_path: Path) -> None:
    from kubelint_py.loading.source_file import SourceFile

    files = [SourceFile(str(tmp_path / "a/Chart.yaml"), "other", fs_path=str(tmp_path / "a/Chart.yaml")),
             SourceFile(str(tmp_path / "a/charts/b/Chart.yaml"), "other",
                        fs_path=str(tmp_path / "a/charts/b/Chart.yaml"))]
    for source in files:
        os.makedirs(os.path.dirname(source.path), exist_ok=True)
        Path(source.path).write_text("apiVersion: v2\nname: x\nversion: 0.1.0\n")
    assert list(stage.find_charts(files)) == [os.path.realpath(tmp_path / "a")]


@needs_sdk
def test_a_template_named_alone_renders_its_chart_and_reports_that_file(shop: Path) -> None:
    config = build_config(["."])
    config.select = ("KS201", "KS101", "KL")
    config.use_cache = False
    report = lint([CHART], config)
    assert _where(report.active) == {("KS201", CHART, 19), ("KS101", CHART, 18)}


def test_a_condition_inside_a_line_switches_off_no_field() -> None:
    linter = stage._RenderLinter(build_config(["."]), renderer_mod.Renderer(), None, lambda files, paths: [])
    template = stage._Template("t.yaml", "t.yaml", "", ['  image: "a:{{ .Values.tag }}{{ with .x }}@{{ . }}{{ end }}"',
                                                         "  {{- if .Values.probe }}", "  livenessProbe:"])
    assert linter._block_key(template, 1) is None
    assert linter._block_key(template, 2) == "livenessProbe"


NODE_EXPORTER = ROOT / "fixtures" / "helm" / "node-exporter"


@needs_sdk
def test_a_chart_shaped_like_a_public_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(NODE_EXPORTER, tmp_path / "node-exporter")
    monkeypatch.chdir(tmp_path)
    config = Config(use_cache=False, fail_on=None)
    report = lint(["node-exporter"], config)
    daemonset = "node-exporter/templates/daemonset.yaml"
    assert {(f.code, f.location.path, f.location.line) for f in report.active} == {
        ("KS310", daemonset, 78), ("KS311", daemonset, 79),
        ("KS314", daemonset, 87), ("KS314", daemonset, 90), ("KS314", daemonset, 94),
        ("KS318", daemonset, 28)}  # no seccompProfile in the pod or container securityContext (info)
    host_network = next(f for f in report.active if f.code == "KS310")
    assert [(r.location.path, r.location.line) for r in host_network.related] == [("node-exporter/values.yaml", 12)]
    assert report.internal_errors == []
    # The same chart with the root filesystem mount switched off on the command line.
    config.helm_set = ("hostRootFsMount.enabled=false",)
    assert ("KS314", daemonset, 94) not in {(f.code, f.location.path, f.location.line) for f in lint(["node-exporter"],
                                                                                                   config).active}


@needs_sdk
def test_command_line_values_for_the_default_render(shop: Path) -> None:
    import subprocess
    import sys

    def check(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kubelint_py", "check", "--no-config", "--no-cache",
                               "--select", "KS201", "--format", "json", *arguments, "."],
                              capture_output=True, text=True, check=False)

    import json

    result = check("--helm-values", "charts/shop/values-prod.yaml", "--helm-set", "cache.image.tag=7.2.5")
    found = {(f["location"]["path"], f["location"]["line"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {(CHART, 19)}  # the subchart's tag set back to a pinned one on the command line
    bad = check("--helm-set", "no-equals-sign")
    assert bad.returncode == 2 and "--helm-set" in bad.stderr


def test_helm_entries_in_the_configuration_file(tmp_path: Path) -> None:
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import show_config

    (tmp_path / "charts/app").mkdir(parents=True)
    (tmp_path / "charts/app/Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (tmp_path / ".kubelint.yaml").write_text(
        "helm:\n  - chart: charts/app\n    values: [prod.yaml]\n    set: {image.tag: v2, replicas: 3}\n")
    config = build_config([str(tmp_path)])
    entry = config.helm_renders[0]
    assert entry.chart == str((tmp_path / "charts/app").resolve())
    assert entry.values == (str((tmp_path / "prod.yaml").resolve()),)
    assert entry.set == ("image.tag=v2", "replicas=3")
    assert '"set": ["image.tag=v2", "replicas=3"]' in show_config(config)
    (tmp_path / ".kubelint.yaml").write_text("helm:\n  - chart: charts/app\n    valuse: [prod.yaml]\n")
    with pytest.raises(ConfigError, match="valuse"):
        build_config([str(tmp_path)])
    (tmp_path / ".kubelint.yaml").write_text("helm:\n  - chart: charts/app\n  - chart: charts/nothing\n")
    with pytest.raises(ConfigError, match=r"\.kubelint\.yaml:3:\d+: helm: no Chart.yaml in .*nothing"):
        build_config([str(tmp_path)])


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


WORKER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Chart.Name }}}
  template:
    metadata:
      labels: {app: {{ .Chart.Name }}}
    spec:
      containers:
        - name: worker
          image: {{ .Values.global.registry }}/worker:{{ .Values.image.tag }}
"""


@needs_sdk
def test_aliased_subcharts_and_globals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n"
                          "  - {name: worker, version: 0.1.0, alias: mailer}\n"
                          "  - {name: worker, version: 0.1.0, alias: thumbnailer}\n",
        "web/values.yaml": "global:\n  registry: reg.example.com\nmailer:\n  image:\n    tag: latest\n"
                           "thumbnailer:\n  image:\n    tag: \"1.0\"\n",
        "web/charts/worker/Chart.yaml": "apiVersion: v2\nname: worker\nversion: 0.1.0\n",
        "web/charts/worker/values.yaml": "image:\n  tag: \"0.9\"\n",
        "web/charts/worker/templates/deployment.yaml": WORKER,
    })
    monkeypatch.chdir(tmp_path)
    report = lint(["web"], Config(select=("KS201",), use_cache=False, fail_on=None))
    assert [(f.location.path, f.location.line) for f in report.active] == [
        ("web/charts/worker/templates/deployment.yaml", 14)]
    finding = report.active[0]
    related = {(r.location.path, r.location.line) for r in finding.related}
    assert ("web/values.yaml", 5) in related  # mailer.image.tag, through the alias
    assert ("web/values.yaml", 2) in related  # global.registry, seen by the subchart


@needs_sdk
def test_objects_of_packed_subcharts_are_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import tarfile

    _write(tmp_path, {
        "app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
                          "  - {name: settings, version: 1.0.0}\n",
        "app/templates/deployment.yaml": WORKER.replace("{{ .Values.global.registry }}/worker:{{ .Values.image.tag }}",
                                                        "reg.example.com/app:1.2.3\n"
                                                        "          envFrom:\n"
                                                        "            - configMapRef: {name: shared-settings}"),
    })
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, text in {"settings/Chart.yaml": "apiVersion: v2\nname: settings\nversion: 1.0.0\n",
                           "settings/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                         "  name: shared-settings\ndata: {a: b}\n"}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "app/charts").mkdir()
    (tmp_path / "app/charts/settings-1.0.0.tgz").write_bytes(archive.getvalue())
    monkeypatch.chdir(tmp_path)
    config = Config(select=("KS602", "KL"), use_cache=False, fail_on=None)
    assert lint(["app"], config).active == []  # the ConfigMap of the packed subchart is found
    (tmp_path / "app/charts/settings-1.0.0.tgz").unlink()
    assert {f.code for f in lint(["app"], config).active} == {"KS602", "KL011"}


@needs_sdk
def test_with_the_project_as_context_only_the_named_files_are_reported(shop: Path) -> None:
    (shop / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n")
    config = build_config(["."])
    config.select = ("KS201", "KS101", "KL")
    config.use_cache = False
    config.project_root = str(shop)
    assert lint(["other.yaml"], config).active == []
    report = lint([SUBCHART], config)
    assert _where(report.active) == {("KS201", SUBCHART, 16)}


@needs_sdk
def test_a_broken_helper_is_reported_in_the_helper_file(shop: Path) -> None:
    helpers = shop / "charts/shop/templates/_helpers.tpl"
    helpers.write_text(helpers.read_text().replace('{{ .Chart.Name }}\napp.kubernetes.io/instance',
                                                   '{{ .Chart.Name | nosuchfunction }}\napp.kubernetes.io/instance'))
    report = _lint(("KL010",))
    assert _where(report.active) == {("KL010", "charts/shop/templates/_helpers.tpl", 7)}
    assert "nosuchfunction" in report.active[0].message
    assert "(renders default, prod)" in report.active[0].message


@needs_sdk
def test_an_oversized_render_is_stopped(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(renderer_mod, "MAX_ANSWER_BYTES", 100)
    report = _lint(("KL010",))
    assert report.active and all("was stopped" in f.message for f in report.active)


@needs_sdk
def test_a_nil_value_in_a_template_is_reported_at_its_expression(shop: Path) -> None:
    path = shop / CHART
    path.write_text(path.read_text().replace("{{ .Values.replicaCount }}", "{{ .Values.nothing.here.count }}"))
    report = _lint(("KL010",))
    assert [(f.location.path, f.location.line) for f in report.active] == [(CHART, 8)]
    assert "nil pointer" in report.active[0].message and "\n" not in report.active[0].message


@needs_sdk
def test_a_checksum_of_another_template_keeps_lines_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The marked render hashes the marked configmap.yaml: that one line differs, every line still maps.
    deployment = WORKER.replace("      labels: {app: {{ .Chart.Name }}}\n    spec:",
                                "      labels: {app: {{ .Chart.Name }}}\n      annotations:\n"
                                "        checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . "
                                "| sha256sum }}\n    spec:")
    _write(tmp_path, {
        "app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "app/values.yaml": "global:\n  registry: reg.example.com\nimage:\n  tag: latest\n",
        "app/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: b\n",
        "app/templates/deployment.yaml": deployment,
    })
    monkeypatch.chdir(tmp_path)
    answer = renderer_mod.Renderer().render(renderer_mod.RenderRequest(str(tmp_path / "app"), [], [], "r", "default",
                                                                       "n"))
    assert all(o["exact"] for o in answer["outputs"])
    report = lint(["app"], Config(select=("KS201",), use_cache=False, fail_on=None))
    assert [(f.location.path, f.location.line) for f in report.active] == [("app/templates/deployment.yaml", 16)]


@needs_sdk
def test_fixes_worked_out_on_rendered_text_are_not_offered_on_templates(shop: Path) -> None:
    from kubelint_py.results.fixes import fix_report

    report = _lint(("KS",), )
    assert any(f.location.path == CHART for f in report.active)
    assert all(f.fix is None for f in report.findings if f.location.path.startswith("charts/"))
    assert fix_report(report, unsafe=True) == []


@needs_sdk
def test_a_link_leaving_the_chart_stops_its_render(shop: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not the chart's\n")
    (shop / "charts/shop/files").mkdir()
    os.symlink(outside, shop / "charts/shop/files/leak.txt")
    report = _lint(("KL010", "KL013", "KS201"))
    assert _where(report.active) == {("KL013", "charts/shop/files/leak.txt", 1)}
    assert "points outside" in report.active[0].message and report.active[0].severity is Severity.WARNING


def test_the_helper_line_that_wrote_a_value() -> None:
    body = ('{{- define "x.image" -}}\n{{- $tag := .Values.tag | default "1" -}}\n'
            '{{ .Values.repository }}:{{ $tag }}\n{{- end }}\n{{ define "y" }}other{{ end }}')
    outputs = ["          image: reg/app:latest"]
    assert stage._helper_line(body, 10, outputs, "image 'reg/app:latest' uses the tag 'latest'") == 12
    labels = '{{- define "x.labels" -}}\napp: {{ .Chart.Name }}\ntier: {{ .Values.tier }}\n{{- end }}'
    outputs = ["    app: shop", "    tier: backend-tier"]
    assert stage._helper_line(labels, 5, outputs, "label tier 'backend-tier' is wrong") == 7
    assert stage._helper_line(labels, 5, outputs, "nothing quoted here") is None


def test_helm_paths_in_the_configuration_stay_in_the_repository(tmp_path: Path) -> None:
    from kubelint_py.engine.config import ConfigError

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "charts/app").mkdir(parents=True)
    (repo / "charts/app/Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (repo / ".kubelint.yaml").write_text("helm:\n  - chart: charts/app\n    values: [/etc/passwd]\n")
    with pytest.raises(ConfigError, match=r"helm\[0\]\.values: '/etc/passwd' is outside the repository"):
        build_config([str(repo)])


# --- the `helm template` fallback ------------------------------------------------------------------

FAKE_HELM = ROOT / "tests" / "data" / "helm-template" / "fake_helm.py"


@pytest.fixture
def helm_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `helm` on PATH that replays the real helm's recorded output (tests/data/helm-template; with
    KUBELINT_RECORD_HELM=/path/to/helm it runs that helm and records anew), and no helm-python-sdk."""
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "helm"
    wrapper.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({str(FAKE_HELM)!r}, "
                       f"{{'LOG_DIR': {str(folder)!r}}}, '__main__')\n")
    wrapper.chmod(0o755)
    if os.environ.get("KUBELINT_RECORD_HELM"):
        (folder / "real").write_text(os.environ["KUBELINT_RECORD_HELM"])
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(stage, "sdk_available", lambda: False)
    monkeypatch.setattr(stage.secrets, "token_hex", lambda n: "0" * (2 * n))
    return folder


def _calls(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "calls.jsonl").read_text().splitlines()]


def test_helm_binary_renders_like_the_sdk(shop: Path, helm_binary: Path) -> None:
    report = _lint(("KS201", "KS101", "KL"))
    found = {(f.code, f.location.path, f.location.line, f.location.column) for f in report.active}
    assert found == {("KS201", CHART, 19, 18), ("KS101", CHART, 18, 17), ("KS201", SUBCHART, 16, 18)}
    by_code = {(f.code, f.location.path): f for f in report.active}
    assert any(r.location.path == "charts/shop/values-prod.yaml" and r.location.line == 4
               for r in by_code[("KS201", CHART)].related)
    probe = by_code[("KS101", CHART)].related
    assert any(r.location.path == "charts/shop/values-prod.yaml" and r.location.line == 8 for r in probe)
    assert any(r.location.path == CHART and r.location.line == 24 for r in probe)
    assert _lint(("KL002",)).active == []
    calls = _calls(helm_binary)
    assert len(calls) == 8  # two renders, each plain and marked, in two runs
    for call in calls:
        argv, env = call["argv"], call["env"]
        assert argv[0] == "template" and "--dependency-update" not in argv
        assert argv[-3] == "--" and os.path.isabs(argv[-1])
        scratch = call["cwd"]
        for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_PLUGINS", "KUBECONFIG", "HOME"):
            assert env[name].startswith(scratch + os.sep), name
        assert not any(key.startswith("KUBELINT") for key in env)
        assert env["PATH"] == "/usr/bin:/bin"
    assert not os.path.exists(calls[0]["cwd"]), "the scratch folder is removed"
    prod = [c["argv"] for c in calls if any(a.startswith("--values=") for a in c["argv"])]
    assert prod and all("--namespace=shop-prod" in argv for argv in prod)


def test_helm_binary_failure_is_reported_where_helm_says(shop: Path, helm_binary: Path) -> None:
    path = shop / CHART
    path.write_text(path.read_text().replace("{{ .Values.replicaCount }}", "{{ .Values.replicaCount | nosuch }}"))
    report = _lint(("KL010",))
    assert _where(report.active) == {("KL010", CHART, 8)}
    assert "function \"nosuch\" not defined" in report.active[0].message


def test_helm_binary_missing_dependency_is_kl011_alone(shop: Path, helm_binary: Path) -> None:
    shutil.rmtree(shop / "charts/shop/charts/cache")
    report = _lint(("KL",))
    assert _where([f for f in report.active if f.code in ("KL010", "KL011")]) == {
        ("KL011", "charts/shop/Chart.yaml", 7)}


def test_helm_binary_time_limit(shop: Path, helm_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "BinaryRenderer", lambda helm: binary_mod.BinaryRenderer(helm, timeout=0.001))
    report = _lint(("KL010",))
    assert report.active and all("longer than" in f.message for f in report.active)


def test_without_sdk_or_binary_kl002_names_both(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "sdk_available", lambda: False)
    monkeypatch.setattr(stage, "find_helm", lambda: None)
    report = _lint(("KL002",))
    assert report.active
    assert all("kubelint-py[helm]" in f.message and "`helm` binary" in f.message for f in report.active)


def test_a_relative_path_entry_is_never_searched_for_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helm = tmp_path / "helm"
    helm.write_text("#!/bin/sh\n")
    helm.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", ".")
    assert binary_mod.find_helm() is None
    monkeypatch.setenv("PATH", str(tmp_path))
    assert binary_mod.find_helm() == str(helm)


def test_helm_template_output_is_put_back_together() -> None:
    output = ("---\n# Source: c/templates/a.yaml\nkind: Service\n\n---\n# Source: c/templates/b.yaml\nkind: X\n"
              "---\n# Source: c/templates/a.yaml\nkind: Deployment\n")
    assert binary_mod.split_documents(output) == [("c/templates/a.yaml", "kind: Service"),
                                                  ("c/templates/b.yaml", "kind: X"),
                                                  ("c/templates/a.yaml", "kind: Deployment")]
    # Helm trims each document; the marked twin is trimmed the same way and keeps its line numbers.
    marked = "@@klN:0:1@@\n@@klN:0:2@@\nkind: X@@klN:0:3@@\n  a: 1@@klN:0:4@@"
    assert binary_mod._unmarked_documents(marked, "N", 0) == [("kind: X\n  a: 1", [3, 4], [])]
    # A marked template Helm printed whole (its YAML broken by the markers: --debug prints it unsplit)
    # is split as Helm split the plain one; documents pair by text, whatever order Helm sorted them in.
    chunk = "\n@@klN:0:1@@\nkind: Deployment@@klN:0:2@@\n---@@klN:0:3@@\nkind: Service@@klN:0:4@@\n"
    twins = binary_mod._unmarked_documents(chunk, "N", 0)
    assert twins == [("kind: Deployment", [2], []), ("kind: Service", [4], [])]
    pairs = binary_mod._pair(["kind: Service", "kind: Deployment"], twins)
    assert pairs is not None
    joined = binary_mod._joined(sorted(pairs, key=lambda pair: pair[1][1][0]))
    assert joined["text"] == "kind: Deployment\n---\nkind: Service" and joined["lines"] == [2, 4, 4]



# --- charts of text held in memory (standard input, an editor's buffers) ---------------------------

PRIVILEGED = ("imagePullPolicy: {{ .Values.image.pullPolicy }}",
              "imagePullPolicy: {{ .Values.image.pullPolicy }}\n"
              "          securityContext:\n            privileged: true")


def _contents_config() -> Config:
    config = build_config(["."])
    config.use_cache = False
    config.fail_on = None
    config.project_root = "."
    return config


@needs_sdk
def test_a_template_given_in_memory_renders_its_chart_with_that_text(shop: Path) -> None:
    text = (shop / CHART).read_text().replace(*PRIVILEGED)
    report = lint_contents({CHART: text}, _contents_config())
    assert ("KS301", CHART, 22) in _where(report.active), "the privileged container is only in the given text"
    assert {f.location.path for f in report.active} == {CHART}
    assert "privileged" not in (shop / CHART).read_text()
    on_disk = lint_contents({CHART: (shop / CHART).read_text()}, _contents_config())
    assert ("KS301", CHART, 22) not in _where(on_disk.active)


@needs_sdk
def test_a_values_file_given_in_memory_changes_the_render(shop: Path) -> None:
    values = "charts/shop/values-prod.yaml"
    text = (shop / values).read_text()
    report = lint_contents({values: text}, _contents_config())
    # Reported at the values lines that caused them, the template line related.
    at = {(f.code, f.location.line) for f in report.active if f.location.path == values}
    assert ("KS201", 4) in at and ("KS101", 8) in at
    tag = next(f for f in report.active if (f.code, f.location.line) == ("KS201", 4))
    assert tag.related[0].location.path == CHART and tag.related[0].location.line == 19
    pinned = lint_contents({values: text.replace("tag: latest", 'tag: "2.0"')}, _contents_config())
    assert ("KS201", 4) not in {(f.code, f.location.line) for f in pinned.active}


@needs_sdk
def test_stdin_filename_renders_the_chart_with_standard_input(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tests.cli_support import invoke

    text = (shop / CHART).read_text().replace(*PRIVILEGED)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    result = invoke(["check", "--no-cache", "--select", "KS301", "--stdin-filename", CHART, "-"])
    assert f"{CHART}:22:25: KS301" in result.stdout


@needs_sdk
def test_the_language_server_renders_charts_with_open_buffers(shop: Path) -> None:
    from kubelint_py.lsp.session import Workspace

    workspace = Workspace(shop)
    workspace.load()
    template = workspace.open(str(shop / CHART), (shop / CHART).read_text().replace(*PRIVILEGED))
    found = workspace.findings([template])[template]
    assert ("KS301", 22) in {(f.code, f.location.line) for f in found}
    assert not any(f.code == "KL002" for f in found)
    assert ("KS201", 19) in {(f.code, f.location.line) for f in found}
    values = workspace.open(str(shop / "charts/shop/values-prod.yaml"),
                            (shop / "charts/shop/values-prod.yaml").read_text().replace("tag: latest", "tag: '2'"))
    found = workspace.findings([template, values])[template]
    assert ("KS201", 19) not in {(f.code, f.location.line) for f in found}, "the buffer pinned the tag"
    everything = workspace.all_findings()  # workspace/diagnostic: every chart rendered
    assert ("KS301", 22) in {(f.code, f.location.line) for f in everything[template]}
    assert ("KS201", 19) not in {(f.code, f.location.line) for f in everything[template]}
    assert ("KS303", 15) in {(f.code, f.location.line) for f in everything[SUBCHART]}
    assert not any(f.code == "KL002" for found in everything.values() for f in found)


# --- values traced through index, variables and tpl ------------------------------------------------

TRACED = """\
{{- $app := .Values.apps.web }}
{{- $img := index .Values "images" "sidecar" }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: traced
spec:
  selector:
    matchLabels: {app: traced}
  template:
    metadata:
      labels: {app: traced}
    spec:
      containers:
        - name: web
          image: {{ $app.image }}
        - name: sidecar
          image: "{{ $img.repository }}:{{ $img.tag }}"
        - name: proxy
          image: {{ index .Values "proxy" "image" }}
        - name: agent
          image: {{ tpl .Values.agentImage . }}
"""

TRACED_VALUES = """\
apps:
  web:
    image: registry.example.com/web:latest
images:
  sidecar:
    repository: registry.example.com/sidecar
    tag: latest
proxy:
  image: envoyproxy/envoy:latest
agent:
  tag: latest
agentImage: "registry.example.com/agent:{{ .Values.agent.tag }}"
"""


def test_values_references_through_index_and_variables() -> None:
    from kubelint_py.building.helm import values

    variables = values.assignments('{{ $a := .Values.x.y }}\n{{ $b := index .Values "p" "q" }}\n{{ $c := $a.z }}\n'
                                   '{{ $d := include "h" . }}')
    assert variables == {"$a": ("x", "y"), "$b": ("p", "q"), "$c": ("x", "y", "z")}
    found = values.references('{{ $a.w }} {{ index .Values.m "n" }} {{ index $b "r" }} {{ $d.e }}', variables)
    assert {("x", "y", "w"), ("m", "n"), ("p", "q", "r")} <= set(found)
    assert not any(path[:1] == ("e",) or "d" in path for path in found), "$d holds no values path"
    assert values.assignments("{{ $a := .Values.x }}{{ $a = .Release.Name }}") == {}


@needs_sdk
def test_values_traced_through_index_variables_and_tpl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"traced/Chart.yaml": "apiVersion: v2\nname: traced\nversion: 1.0.0\n",
                      "traced/values.yaml": TRACED_VALUES, "traced/templates/deployment.yaml": TRACED})
    monkeypatch.chdir(tmp_path)
    report = lint(["traced"], Config(select=("KS201",), use_cache=False, fail_on=None))
    related = {f.location.line: {(r.location.path, r.location.line) for r in f.related} for f in report.active}
    assert set(related) == {16, 18, 20, 22}
    assert ("traced/values.yaml", 3) in related[16]  # $app := .Values.apps.web, then $app.image
    assert ("traced/values.yaml", 7) in related[18]  # $img := index .Values "images" "sidecar", then $img.tag
    assert ("traced/values.yaml", 9) in related[20]  # index .Values "proxy" "image"
    # tpl: the template string, and the value it names.
    assert {("traced/values.yaml", 12), ("traced/values.yaml", 11)} <= related[22]


MULTI = """\


# a comment first
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          securityContext:
            privileged: true
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
{{- if .Values.hook }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    "helm.sh/hook": pre-install
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: m
          image: {{ .Values.image }}
{{- end }}
"""


def test_helm_binary_maps_documents_helm_sorted_and_hooks(tmp_path: Path, helm_binary: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Three documents in one template, sorted by kind and the hook printed last by `helm template`, the
    marked render printed whole (markers break its YAML): every finding at its template line, as the SDK
    gives them."""
    _write(tmp_path, {"multi/Chart.yaml": "apiVersion: v2\nname: multi\nversion: 1.0.0\n",
                      "multi/values.yaml": "image: nginx:latest\nhook: true\n", "multi/templates/both.yaml": MULTI})
    monkeypatch.chdir(tmp_path)
    report = lint(["multi"], Config(select=("KS201", "KS301"), use_cache=False, fail_on=None))
    template = "multi/templates/both.yaml"
    assert _where(report.active) == {("KS201", template, 17), ("KS301", template, 19), ("KS201", template, 42)}
    assert all(any(r.location.path == "multi/values.yaml" for r in f.related)
               for f in report.active if f.code == "KS201")


def test_helm_binary_output_is_capped(shop: Path, helm_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binary_mod, "MAX_ANSWER_BYTES", 100)
    report = _lint(("KL010",))
    assert report.active and all("was stopped" in f.message for f in report.active)


def test_a_line_past_the_end_of_a_render_is_its_last_template_line() -> None:
    """`helm template` trims each document: a parser's end-of-input error lands past its last line."""
    table = LineTable([1, 4], ["a: [", "  b:"], ["a: [", "", "", "  b: {{ .Values.x }}"])
    assert table.line(3) == 4 and table.line(2) == 4 and table.line(1) == 1


WITH_SCOPE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scoped
spec:
  selector:
    matchLabels: {app: scoped}
  template:
    metadata:
      labels: {app: scoped}
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
          {{- with .Values.web }}
          securityContext:
            {{- toYaml .securityContext | nindent 12 }}
          {{- end }}
"""


@needs_sdk
def test_values_traced_through_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"scoped/Chart.yaml": "apiVersion: v2\nname: scoped\nversion: 1.0.0\n",
                      "scoped/values.yaml": "web:\n  securityContext:\n    privileged: true\n",
                      "scoped/templates/deployment.yaml": WITH_SCOPE})
    monkeypatch.chdir(tmp_path)
    report = lint(["scoped"], Config(select=("KS301",), use_cache=False, fail_on=None))
    assert _where(report.active) == {("KS301", "scoped/templates/deployment.yaml", 17)}
    assert ("scoped/values.yaml", 3) in {(r.location.path, r.location.line) for r in report.active[0].related}


def test_the_dot_inside_with_blocks() -> None:
    from kubelint_py.building.helm import values

    text = ("{{- with .Values.pod }}\n{{- with .nested }}\nx\n{{- end }}\ny\n{{- range .list }}\nz\n{{- end }}\n"
            "{{- end }}\nw\n")
    lines = text.split("\n")

    def at(line: int) -> tuple[str, ...] | None:
        before = "\n".join(lines[:line - 1])
        return values.dot_path(before, len(before))

    assert [at(n) for n in (3, 5, 7, 10)] == [("pod", "nested"), ("pod",), None, None]
    assert values.dot_references("{{ toYaml . }} {{ .a.b }} {{ $.Values.c }} {{ .Release.Name }}", ("p",)) == [
        ("p",), ("p", "a", "b")]


def test_helm_binary_runs_confined_without_the_pythons_variables(shop: Path, helm_binary: Path) -> None:
    _lint(("KS201",))
    env = _calls(helm_binary)[0]["env"]
    assert not any(key.startswith("PYTHON") for key in env), "child.py --exec drops them before helm runs"
    import resource

    # The limits child.confine set were inherited through exec (the fake records none, so ask a real run).
    probe = [sys.executable, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"]
    limits = binary_mod.subprocess.run(binary_mod._confined(probe), capture_output=True, text=True, check=True,
                                       env={"PYTHONPATH": str(ROOT)}).stdout
    assert int(limits) == 2 * 1024**3 or resource.getrlimit(resource.RLIMIT_AS)[1] < 2 * 1024**3


@needs_sdk
def test_a_block_include_traces_only_values_the_finding_quotes(tmp_path: Path) -> None:
    """`template: {{ include "x.pod" . | nindent 4 }}` writes the whole pod from one template line: a short
    value (`entryPoint: metrics`) is somewhere in that output by chance, and is not the reason a container has
    no cpu request (traefik's chart). The image tag the finding quotes is still traced to its values line."""
    chart = tmp_path / "edge"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: edge\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("metrics:\n  entryPoint: metrics\ntag: latest\n")
    (chart / "templates" / "_pod.tpl").write_text(
        '{{- define "edge.pod" -}}\nmetadata:\n  labels: {app: edge}\nspec:\n  containers:\n'
        '    - name: edge\n      image: "traefik:{{ .Values.tag }}"\n'
        '      args: ["--metrics.entrypoint={{ .Values.metrics.entryPoint }}"]\n{{- end -}}\n')
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: edge\nspec:\n  selector:\n"
        "    matchLabels: {app: edge}\n  template: {{ include \"edge.pod\" . | fromYaml | toYaml | nindent 4 }}\n")
    config = build_config([str(chart)])
    config.select, config.use_cache, config.fail_on = ("KS110", "KS201"), False, None
    report = lint([str(chart)], config)
    values = {f.code: [r.message for r in f.related if r.message.startswith(".Values")] for f in report.active}
    assert values["KS110"] == []
    assert [m.split(" = ")[0] for m in values["KS201"]] == [".Values.tag"]
