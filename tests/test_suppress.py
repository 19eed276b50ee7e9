"""In-source suppressions (YAML and Dockerfile comments, hadolint pragmas, annotations), unused
suppressions (KL007) and per-path ignores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint
from kubelint_py.engine.config import Config
from kubelint_py.results.suppress import yaml_comment_start, yaml_pragmas
from tests.cli_support import invoke
from tests.rule_support import temporary_rule

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web{meta}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata:
      labels: {{app: web}}{template_meta}
    spec:
      containers:
{containers}
"""


def deployment(containers: str = "        - name: web\n          image: web:1.0.0", meta: str = "",
               template_meta: str = "") -> str:
    return DEPLOYMENT.format(meta=meta, template_meta=template_meta, containers=containers)


def run(tmp_path: Path, files: dict[str, str], **config: object) -> Report:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    settings: dict[str, object] = {"fail_on": None}
    settings.update(config)
    return lint([str(tmp_path)], Config(**settings))  # type: ignore[arg-type]


def summary(report: Report) -> list[tuple[str, int, str, str | None]]:
    """(file name, line, code, suppression kind) of every finding."""
    return [(Path(f.location.path).name, f.location.line, f.code, f.suppressed.kind if f.suppressed else None)
            for f in report.findings]


@pytest.mark.parametrize(("line", "expected"), [
    ("key: value # kubelint: ignore=KS102", 11),
    ("# kubelint: ignore=KS102", 0),
    ('key: "a # not a comment"', None),
    ("key: 'it''s # quoted' # real", 22),
    ("description: it's fine # real", 23),
    ('key: "esc \\" # still quoted" # real', 29),
    ("url: http://x#frag", None),
    ("- 'a' # c", 6),
    ("plain", None),
])
def test_yaml_comment_start(line: str, expected: int | None) -> None:
    assert yaml_comment_start(line) == expected


def test_pragma_forms_and_reasons() -> None:
    text = ("a: 1  # kubelint: ignore=KS102, DF301 -- owned by another team\n"
            "# kubelint: ignore=KS501\n"
            "\n"
            "# an ordinary comment\n"
            "b: 2\n"
            "c: '# kubelint: ignore=KS999'\n"
            "# kubelint: ignore-file=all\n")
    pragmas = yaml_pragmas("f.yaml", text)
    assert [(p.line, p.codes, p.reason, p.first, p.last) for p in pragmas] == [
        (1, ("KS102", "DF301"), "owned by another team", 1, 1),
        (2, ("KS501",), "", 5, 5),  # the next line that is not blank or a comment
        (7, ("all",), "", 0, 0),
    ]


def test_trailing_and_own_line_comments_mark_findings(tmp_path: Path) -> None:
    containers = ("        - name: a  # kubelint: ignore=KS102 -- probe comes from the mesh\n"
                  "          image: a:1\n"
                  "        # kubelint: ignore=missing-readiness-probe\n"
                  "        - name: b\n"
                  "          image: b:1\n"
                  "        - name: c\n"
                  "          image: c:1")
    report = run(tmp_path, {"deploy.yaml": deployment(containers)}, select=("KS102", "KL007"))
    assert summary(report) == [("deploy.yaml", 12, "KS102", "inSource"), ("deploy.yaml", 15, "KS102", "inSource"),
                               ("deploy.yaml", 17, "KS102", None)]
    assert report.findings[0].suppressed is not None
    assert report.findings[0].suppressed.justification == "probe comes from the mesh"


def test_ignore_file_and_alias(tmp_path: Path) -> None:
    text = "# kubelint: ignore-file=KS102\n" + deployment()
    report = run(tmp_path, {"deploy.yaml": text}, select=("KS102", "KL007"))
    assert summary(report) == [("deploy.yaml", 13, "KS102", "inSource")]
    dockerfile = "# kubelint: ignore=DL3007\nFROM ubuntu:latest\n"
    report = run(tmp_path, {"deploy.yaml": deployment(), "Dockerfile": dockerfile}, select=("DF301", "KL007"))
    assert summary(report) == [("Dockerfile", 2, "DF301", "inSource")]


def test_unused_suppression_is_reported_only_for_enabled_rules(tmp_path: Path) -> None:
    text = deployment(meta="  # kubelint: ignore=KS102,DF301").replace(
        "        - name: web\n", "        - name: web\n          readinessProbe: {tcpSocket: {port: 80}}\n")
    report = run(tmp_path, {"deploy.yaml": text}, select=("KS102", "KL007"))
    assert summary(report) == [("deploy.yaml", 4, "KL007", None)]
    assert "KS102 (missing-readiness-probe)" in report.findings[0].message
    assert report.findings[0].location.column == 14
    # KL007 off: nothing is reported.
    assert run(tmp_path, {"deploy.yaml": text}, select=("KS102",)).findings == []


def test_own_line_comment_at_end_of_file_is_unused(tmp_path: Path) -> None:
    report = run(tmp_path, {"deploy.yaml": deployment() + "# kubelint: ignore=KS102\n"}, select=("KS102", "KL007"))
    assert summary(report) == [("deploy.yaml", 12, "KS102", None), ("deploy.yaml", 14, "KL007", None)]
    assert "not followed by anything" in report.findings[1].message


def test_no_unused_report_for_a_file_that_did_not_parse(tmp_path: Path) -> None:
    text = deployment(meta="  # kubelint: ignore=KS102") + "  broken: [\n"
    report = run(tmp_path, {"deploy.yaml": text}, select=("KS102", "KL007", "KL001"))
    assert [code for _, _, code, _ in summary(report)] == ["KL001"]


def test_kl007_can_be_silenced(tmp_path: Path) -> None:
    text = deployment(meta="  # kubelint: ignore=DF301,KL007 -- kept for the Dockerfile migration")
    report = run(tmp_path, {"deploy.yaml": text}, select=("DF301", "KL007"))
    assert summary(report) == [("deploy.yaml", 4, "KL007", "inSource")]


def test_dockerfile_comment_covers_the_whole_instruction(tmp_path: Path) -> None:
    dockerfile = ("FROM alpine:3.20\n"
                  "# kubelint: ignore=DF999 -- apk cache is needed here\n"
                  "# another comment\n"
                  "RUN apk add \\\n"
                  "    curl\n"
                  "RUN echo unsuppressed\n"
                  "# hadolint ignore=DL9999,DL3008\n"
                  "RUN echo hadolint \\\n"
                  "  && true\n"
                  "# kubelint: ignore=DF999\n"
                  "\n"
                  "RUN echo blank-line-breaks-the-link\n")
    with temporary_rule():
        report = run(tmp_path, {"Dockerfile": dockerfile}, select=("DF999", "KL007"))
    assert summary(report) == [
        ("Dockerfile", 5, "DF999", "inSource"),
        ("Dockerfile", 6, "DF999", None),
        ("Dockerfile", 9, "DF999", "inSource"),
        ("Dockerfile", 10, "KL007", None),  # DL3008 has no kubelint-py rule: not reported
        ("Dockerfile", 12, "DF999", None),
    ]
    assert report.findings[0].suppressed is not None
    assert report.findings[0].suppressed.justification == "apk cache is needed here"


def test_dockerfile_comment_inside_a_continuation_covers_that_instruction(tmp_path: Path) -> None:
    dockerfile = ("FROM alpine:3.20\n"
                  "RUN apk add \\\n"
                  "    # kubelint: ignore=DF999\n"
                  "    curl\n"
                  "RUN echo next\n")
    with temporary_rule():
        report = run(tmp_path, {"Dockerfile": dockerfile}, select=("DF999", "KL007"))
    assert summary(report) == [("Dockerfile", 4, "DF999", "inSource"), ("Dockerfile", 5, "DF999", None)]


def test_compose_comments(tmp_path: Path) -> None:
    compose = ("services:\n  a:\n    image: x:1\n    depends_on: [b]  # kubelint: ignore=all -- b is external\n"
               "  c:\n    image: x:1\n    depends_on: [d]\n")
    report = run(tmp_path, {"compose.yaml": compose}, select=("DC101", "KL007"))
    assert summary(report) == [("compose.yaml", 4, "DC101", "inSource"), ("compose.yaml", 7, "DC101", None)]


def test_hadolint_global_ignore(tmp_path: Path) -> None:
    dockerfile = "# hadolint global ignore=DL3007\nFROM alpine:3.20\nFROM ubuntu:latest\n"
    report = run(tmp_path, {"Dockerfile": dockerfile}, select=("DF301", "KL007"))
    assert summary(report) == [("Dockerfile", 3, "DF301", "inSource")]


def test_annotation_on_object_and_on_pod_template(tmp_path: Path) -> None:
    meta = '\n  annotations:\n    kubelint.io/ignore: "KS102 -- sidecar injects probes"'
    on_object = deployment(meta=meta)
    template_meta = '\n      annotations: {kubelint.io/ignore: "missing-readiness-probe"}'
    on_template = deployment(template_meta=template_meta).replace("name: web", "name: api", 1)
    other = deployment().replace("name: web", "name: other", 1)
    report = run(tmp_path, {"a.yaml": on_object, "b.yaml": on_template, "c.yaml": other}, select=("KS102", "KL007"))
    assert summary(report) == [("a.yaml", 14, "KS102", "inSource"), ("b.yaml", 13, "KS102", "inSource"),
                               ("c.yaml", 12, "KS102", None)]
    assert report.findings[0].suppressed is not None
    assert report.findings[0].suppressed.justification == "sidecar injects probes"


def test_annotation_covers_only_its_own_document(tmp_path: Path) -> None:
    meta = '\n  annotations:\n    kubelint.io/ignore: "KS102"'
    stream = deployment(meta=meta) + "---\n" + deployment().replace("name: web", "name: two", 1)
    report = run(tmp_path, {"all.yaml": stream}, select=("KS102", "KL007"))
    assert [(line, kind) for _, line, _, kind in summary(report)] == [(14, "inSource"), (28, None)]


def test_unused_annotation_is_reported_at_its_value(tmp_path: Path) -> None:
    meta = '\n  annotations:\n    kubelint.io/ignore: "KS102"'
    text = deployment(meta=meta).replace("image: web:1.0.0", "image: web:1.0.0\n          readinessProbe: {}")
    report = run(tmp_path, {"deploy.yaml": text}, select=("KS102", "KL007"))
    assert summary(report) == [("deploy.yaml", 6, "KL007", None)]
    assert "annotation" in report.findings[0].message


def test_per_path_ignores_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    compose = "services:\n  a:\n    image: x:1\n    depends_on: [b]\n"
    files = {"third_party/compose.yaml": compose, "app/compose.yaml": compose}
    report = run(tmp_path, files, per_path_ignores={"third_party/**": ("all",)},
                 config_path=str(tmp_path / ".kubelint.yaml"))
    assert [(f.location.path.endswith("third_party/compose.yaml"), f.suppressed) for f in report.findings] == [
        (False, None), (True, report.findings[1].suppressed)]
    assert report.findings[1].suppressed is not None
    assert report.findings[1].suppressed.kind == "external"
    assert "third_party/**" in report.findings[1].suppressed.justification
    # Other rules than the ones listed stay active.
    report = run(tmp_path, files, per_path_ignores={"third_party": ("KS102",)}, config_path=str(tmp_path / "x.yaml"))
    assert [f.suppressed for f in report.findings] == [None, None]


def test_json_report_carries_suppressions(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# kubelint: ignore=DF301 -- base image pinned by renovate\nFROM ubuntu\n"
                                         "USER app\n")
    result = invoke(["check", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["findings"][0]["suppressed"] == {"kind": "inSource",
                                                     "justification": "base image pinned by renovate"}
    assert document["summary"]["suppressed"] == 1


def test_suppressions_through_the_cli_with_a_config(tmp_path: Path) -> None:
    (tmp_path / "third_party").mkdir()
    (tmp_path / "third_party" / "Dockerfile").write_text("FROM ubuntu\nUSER app\n")
    (tmp_path / ".kubelint.yaml").write_text("per-path-ignores:\n  third_party/**: [base-image-unpinned]\n")
    cwd = os.getcwd()
    os.chdir(tmp_path / "third_party")  # the globs are relative to the config file, not the working folder
    try:
        assert invoke(["check", "."]).exit_code == 0
        assert invoke(["check", ".", "--no-config"]).exit_code == 1
    finally:
        os.chdir(cwd)


def test_sarif_carries_the_reason(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("# kubelint: ignore=DF301 -- pinned by renovate\nFROM ubuntu\n"
                                         "FROM debian\nUSER app\n")
    result = invoke(["check", str(tmp_path), "--format", "sarif", "--sarif-suppressed"])
    assert result.exit_code == 1, result.output
    results = json.loads(result.output)["runs"][0]["results"]
    assert [r.get("suppressions") for r in results] == [
        [{"kind": "inSource", "status": "accepted", "justification": "pinned by renovate"}], []]


def test_per_path_ignores_with_lint_cwd_elsewhere(tmp_path: Path) -> None:
    compose = "services:\n  a:\n    image: x:1\n    depends_on: [b]\n"
    (tmp_path / "third_party").mkdir()
    (tmp_path / "third_party" / "compose.yaml").write_text(compose)
    config = Config(fail_on=None, per_path_ignores={"third_party/**": ("all",)},
                    config_path=str(tmp_path / ".kubelint.yaml"))
    report = lint(["."], config, cwd=tmp_path)  # the process's working folder is not tmp_path
    assert report.findings and report.findings[0].location.path == "third_party/compose.yaml"
    assert [f.suppressed is not None for f in report.findings] == [True]
