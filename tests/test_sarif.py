"""SARIF output: structure, GitHub's requirements, paths, fingerprints, suppressions, limits.

Every log rendered here goes through tests/sarif_support.check_sarif (schema + GitHub checks), either
explicitly or through the autouse hook in conftest.py that wraps sarif.render.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.sarif_support as support
from kubelint_py.api import Report, lint
from kubelint_py.core.source import Location
from kubelint_py.discovery.project_root import git_toplevel
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Finding, Related, Rule, Severity, Suppression, Target
from kubelint_py.loading.source_file import SourceFile
from kubelint_py.report import sarif
from kubelint_py.report.paths import PathMapper
from tests.sarif_support import check_sarif

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"

SECURITY_RULE = Rule(code="ZZ901", name="test-secret", format="kubernetes", target=Target.K8S_OBJECT,
                     severity=Severity.ERROR, summary="A test security rule", rationale="Secrets leak.",
                     fix="Use a Secret.", tags=("security",))
PLAIN_RULE = Rule(code="ZZ902", name="test-plain", format="kubernetes", target=Target.K8S_OBJECT,
                  severity=Severity.WARNING, summary="A test rule", rationale="Because.", fix="Fix it.",
                  tags=("reliability",))
TEXT = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  password: hunter2\n"


def _finding(rule: Rule, line: int, path: str = "repo/cm.yaml", *, severity: Severity | None = None,
             suppressed: Suppression | None = None, related: tuple[Related, ...] = ()) -> Finding:
    return Finding(rule.code, rule.name, severity or rule.severity, f"{rule.name} on line {line}",
                   Location(path, line, 3, line, 11), related, suppressed)


def _report(findings: list[Finding], texts: dict[str, str] | None = None, rules: list[Rule] | None = None,
            config: Config | None = None) -> Report:
    texts = texts if texts is not None else {"repo/cm.yaml": TEXT}
    files = [SourceFile(path, "kubernetes", text=text) for path, text in texts.items()]
    return Report(sorted(findings, key=Finding.sort_key), files, 0.0, config or Config(),
                  rules if rules is not None else [SECURITY_RULE, PLAIN_RULE])


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    return tmp_path


def _lint_in(folder: Path, paths: list[str]) -> Report:
    """Lint with `folder` as the working directory (the loader opens displayed paths as they are)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return lint(paths, cwd=folder)


def _render(report: Report, cwd: Path, **options: Any) -> dict[str, Any]:
    # sarif.render is wrapped by the conftest hook; check_sarif again here is cheap and explicit.
    return check_sarif(sarif.render(report, cwd=cwd, **options))


def _run(log: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = log["runs"][0]
    return run


def test_demo_project_log(tmp_path: Path) -> None:
    report = lint([str(DEMO)])
    log = _render(report, ROOT)
    run = _run(log)
    assert log["$schema"] and run["tool"]["driver"]["name"] == "kubelint-py"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted({r["ruleId"] for r in run["results"]}), "only rules with results, sorted"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    compose = by_rule["DC101"]["locations"][0]["physicalLocation"]
    assert compose["artifactLocation"] == {"uri": "fixtures/demo/compose.yaml", "uriBaseId": "%SRCROOT%"}
    assert compose["region"] == {"startLine": 10, "startColumn": 9, "endLine": 10, "endColumn": 14}
    # An explicit level equal to sarif-om's default ("warning") is still written.
    assert by_rule["KS102"]["level"] == "warning"
    driver_rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert driver_rules["KS102"]["defaultConfiguration"] == {"level": "warning"}
    assert driver_rules["DF301"]["help"]["markdown"].startswith("**FROM uses")
    assert run["invocations"] == [{"executionSuccessful": True}]
    root = git_toplevel(str(DEMO)) or str(ROOT)  # a source tree without .git: the cwd
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(root).as_uri() + "/"


def test_uris_are_relative_to_the_git_top_level_not_the_cwd(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "deploy" / "k8s").mkdir(parents=True)
    (repo / "deploy" / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    cwd = repo / "deploy"
    report = _lint_in(cwd, ["compose.yaml"])
    assert report.findings[0].location.path == "compose.yaml"
    run = _run(_render(report, cwd))
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "deploy/compose.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}


def test_without_git_the_root_is_the_cwd(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    if git_toplevel(str(tmp_path)) is not None:
        pytest.skip("the temporary folder is inside a git repository")
    run = _run(_render(_lint_in(tmp_path, ["a"]), tmp_path))
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a/compose.yaml"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"


def test_uri_escaping_and_files_outside_the_root(tmp_path: Path) -> None:
    mapper = PathMapper(str(tmp_path / "repo"), tmp_path / "repo")
    assert mapper.uri("my dir/a:b#1.yaml") == ("my%20dir/a%3Ab%231.yaml", True)
    outside = tmp_path / "elsewhere" / "x y.yaml"
    assert mapper.uri(str(outside)) == (outside.as_uri(), False)
    assert mapper.uri("../elsewhere/x.yaml")[1] is False
    # A file outside the root gets an absolute URI and no uriBaseId, and the log stays valid.
    repo = _repo(tmp_path / "repo")
    report = _report([_finding(PLAIN_RULE, 6, path=str(outside))], {str(outside): TEXT})
    report.files.append(SourceFile("inside.yaml", "kubernetes", text=TEXT))
    run = _run(_render(report, repo))
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": outside.as_uri()}


def test_rule_metadata_and_security_severity(tmp_path: Path) -> None:
    report = _report([_finding(SECURITY_RULE, 6), _finding(PLAIN_RULE, 4)])
    run = _run(_render(report, _repo(tmp_path)))
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    security = rules["ZZ901"]
    assert security["name"] == "test-secret"
    assert security["shortDescription"]["text"] == "A test security rule"
    assert security["fullDescription"]["text"] == "Secrets leak."
    assert "Use a Secret." in security["help"]["text"] and "Use a Secret." in security["help"]["markdown"]
    assert security["defaultConfiguration"]["level"] == "error"
    assert security["properties"] == {"tags": ["security", "kubernetes"], "precision": "high",
                                      "security-severity": "8.0"}
    assert "security-severity" not in rules["ZZ902"]["properties"]
    driver = run["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"]


def test_security_severity_follows_configured_severity(tmp_path: Path) -> None:
    config = Config(severity_overrides={"ZZ901": Severity.INFO})
    report = _report([_finding(SECURITY_RULE, 6, severity=Severity.INFO)], config=config)
    run = _run(_render(report, _repo(tmp_path)))
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["properties"]["security-severity"] == "3.0"
    assert rule["defaultConfiguration"]["level"] == "note"
    assert run["results"][0]["level"] == "note"


def test_all_rules_option_lists_every_enabled_rule(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nUSER app\n")
    report = lint([str(tmp_path / "Dockerfile")])
    few = _run(_render(report, tmp_path))["tool"]["driver"]["rules"]
    every = _run(_render(report, tmp_path, all_rules=True))["tool"]["driver"]["rules"]
    assert [r["id"] for r in few] == ["DF301"]
    ids = [r["id"] for r in every]
    assert {"DF301", "DC101", "KS102", "KL001"} <= set(ids) and ids == sorted(ids)
    log = _render(report, tmp_path, all_rules=True)
    result = _run(log)["results"][0]
    assert _run(log)["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "DF301"


def test_related_locations(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nkind: Secret\n")
    report = _lint_in(tmp_path, ["cm.yaml"])
    result = next(r for r in _run(_render(report, tmp_path))["results"] if r["ruleId"] == "KL004")
    related = result["relatedLocations"]
    assert len(related) == 1 and related[0]["id"] == 1
    assert related[0]["message"]["text"] == "first definition"
    assert related[0]["physicalLocation"]["region"]["startLine"] in (2, 4)


def test_columns_are_unicode_code_points(tmp_path: Path) -> None:
    line = '    depends_on: ["ß€𝄞", cache]'
    (tmp_path / "compose.yaml").write_text(f"services:\n  ß€𝄞:\n    image: x:1\n  web:\n    image: y:1\n{line}\n")
    run = _run(_render(_lint_in(tmp_path, ["compose.yaml"]), tmp_path))
    result = next(r for r in run["results"] if r["ruleId"] == "DC101")  # DC001 also flags the service name
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 6
    assert region["startColumn"] == line.index("cache") + 1  # not the UTF-8 or UTF-16 offset


def test_fingerprints_survive_unrelated_line_moves(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    body = "services:\n  web:\n    image: x:1\n    depends_on: [db]\n"
    (repo / "compose.yaml").write_text(body)

    def fingerprints() -> list[tuple[int, str]]:
        run = _run(_render(_lint_in(repo, ["compose.yaml"]), repo))
        return [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["partialFingerprints"]["primaryLocationLineHash"]) for r in run["results"]]

    before = fingerprints()
    (repo / "compose.yaml").write_text("# a comment\n\n" + body.replace("  web:\n", "  web:\n    # more\n"))
    after = fingerprints()
    assert [line for line, _ in after] == [before[0][0] + 3]
    assert [fp for _, fp in after] == [fp for _, fp in before]
    # Re-indenting does not change it either; changing the flagged line does.
    (repo / "compose.yaml").write_text(body.replace("depends_on: [db]", "depends_on:   [db]  "))
    assert fingerprints()[0][1] == before[0][1]
    (repo / "compose.yaml").write_text(body.replace("[db]", "[dbx]"))
    assert fingerprints()[0][1] != before[0][1]


def test_identical_lines_get_distinct_occurrences(tmp_path: Path) -> None:
    text = "a: 1\nsame: line\nb: 2\nsame: line\n"
    report = _report([_finding(PLAIN_RULE, 2), _finding(PLAIN_RULE, 4), _finding(SECURITY_RULE, 4)],
                     {"repo/cm.yaml": text})
    results = _run(_render(report, _repo(tmp_path)))["results"]
    prints = [(r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"]) for r in results]
    digest = prints[0][1].split(":")[0]
    assert prints == [("ZZ902", f"{digest}:1"), ("ZZ901", f"{digest}:1"), ("ZZ902", f"{digest}:2")]
    # Suppressing the first occurrence changes no fingerprint, whether suppressions are shown or not.
    quiet = Suppression("inSource")
    report = _report([_finding(PLAIN_RULE, 2, suppressed=quiet), _finding(PLAIN_RULE, 4)], {"repo/cm.yaml": text})
    for shown in (False, True):
        results = _run(_render(report, tmp_path, suppressions=shown))["results"]
        assert results[-1]["partialFingerprints"]["primaryLocationLineHash"] == f"{digest}:2"


def test_suppressed_findings_left_out_by_default_and_included_on_request(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    quiet = Suppression("inSource", "test data, not a real password")
    report = _report([_finding(SECURITY_RULE, 6, suppressed=quiet), _finding(PLAIN_RULE, 4),
                      _finding(PLAIN_RULE, 5, suppressed=Suppression("external"))])
    default = _run(_render(report, repo))
    assert [r["ruleId"] for r in default["results"]] == ["ZZ902"]
    assert [r["id"] for r in default["tool"]["driver"]["rules"]] == ["ZZ902"]
    assert "suppressions" not in default["results"][0]
    text = sarif.render(report, cwd=repo, suppressions=True)
    assert '"state"' not in text
    results = _run(check_sarif(text))["results"]
    by_line = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in results}
    assert by_line[4]["suppressions"] == []  # present and empty: this result is not suppressed
    assert by_line[5]["suppressions"] == [{"kind": "external", "status": "accepted"}]
    assert by_line[6]["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                           "justification": "test data, not a real password"}]


def test_unreadable_and_unparsable_files_become_notifications(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n")
    parse_only = _run(_render(_lint_in(tmp_path, ["broken.yaml"]), tmp_path))
    invocation = parse_only["invocations"][0]
    assert invocation["executionSuccessful"] is True  # the file was analysed: it does not parse
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"]["id"] == "KL001"
    assert note["message"]["text"].startswith("broken.yaml: ")
    rules = parse_only["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == "KL001"
    (tmp_path / "binary.yaml").write_bytes(b"apiVersion: v1\x00\x01")
    (tmp_path / "chart.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n{{- if .Values.x }}\ndata: {}\n")
    paths = ["broken.yaml", "binary.yaml", "missing.yaml", "chart.yaml"]
    run = _run(_render(_lint_in(tmp_path, paths), tmp_path))
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = sorted((n["associatedRule"]["id"], n["level"]) for n in invocation["toolExecutionNotifications"])
    assert notes == [("KL001", "error"), ("KL002", "note"), ("KL003", "error"), ("KL003", "error")]


def test_result_limit_keeps_the_most_severe_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings = [_finding(PLAIN_RULE, line) for line in (1, 2, 3, 4)] + [_finding(SECURITY_RULE, 6)]
    run = _run(_render(_report(findings), _repo(tmp_path), max_results=3))
    assert [r["ruleId"] for r in run["results"]] == ["ZZ902", "ZZ902", "ZZ901"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert "2 more results left out" in notes[-1]["message"]["text"] and notes[-1]["level"] == "warning"
    assert "2 more results left out" in capsys.readouterr().err
    assert sarif.MAX_RESULTS == support.GITHUB_MAX_RESULTS


def test_explicit_levels_and_status_not_state(tmp_path: Path) -> None:
    # Every key is written as given: an explicit "warning" level (SARIF's default) too; SARIF 2.1.0's
    # suppression property is `status` (sarif-om, used before, called it `state`).
    quiet = Suppression("inSource")
    log = _render(_report([_finding(PLAIN_RULE, 4), _finding(PLAIN_RULE, 5, suppressed=quiet)]), tmp_path,
                  suppressions=True)
    results = _run(log)["results"]
    assert [r["level"] for r in results] == ["warning", "warning"]
    assert results[1]["suppressions"] == [{"kind": "inSource", "status": "accepted"}]


def test_no_sarif_om_at_run_time() -> None:
    import subprocess
    import sys

    code = ("import sys; from kubelint_py.report import sarif; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sarif_om', 'pbr', 'attr')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_related_locations_are_linked_from_the_message(tmp_path: Path) -> None:
    related = (Related(Location("repo/cm.yaml", 2, 1, 2, 5), "first [published] here"),
               Related(Location("repo/cm.yaml", 3, 1), " "))
    finding = Finding(PLAIN_RULE.code, PLAIN_RULE.name, Severity.WARNING, "dup of a[0] \\ b",
                      Location("repo/cm.yaml", 4, 3, 4, 9), related)
    result = _run(_render(_report([finding]), _repo(tmp_path)))["results"][0]
    assert result["message"]["text"] == ("dup of a\\[0\\] \\\\ b (see [first \\[published\\] here](1), "
                                         "[related location](2))")
    assert [r["id"] for r in result["relatedLocations"]] == [1, 2]
    assert result["relatedLocations"][0]["message"]["text"] == "first [published] here"
    # Without related locations the message is left as it is (no escaping).
    plain = Finding(PLAIN_RULE.code, PLAIN_RULE.name, Severity.WARNING, "a[0]", Location("repo/cm.yaml", 4, 3))
    assert _run(_render(_report([plain]), tmp_path))["results"][0]["message"]["text"] == "a[0]"


def test_links_to_many_related_locations_are_capped() -> None:
    text = sarif.linked_message("m", [f"r{i}" for i in range(15)])
    assert text.endswith("[r9](10) and 5 more)") and "(11)" not in text


def test_every_region_has_an_end_column(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nUSER app\n")
    report = _lint_in(tmp_path, ["Dockerfile"])
    run = _run(_render(report, tmp_path))
    assert run["results"]
    for result in run["results"]:
        for loc in [*result["locations"], *result.get("relatedLocations", [])]:
            region = loc["physicalLocation"]["region"]
            assert "endColumn" in region
            if region["endLine"] == region["startLine"]:
                assert region["endColumn"] > region["startColumn"]
    df103 = next(r for r in run["results"] if r["ruleId"] == "DF103")
    region = df103["locations"][0]["physicalLocation"]["region"]
    line = "RUN apt-get update && apt-get install -y curl"
    assert (region["startColumn"], region["endColumn"]) == (line.index("apt-get") + 1, line.index(" &&") + 1), \
        "a RUN command finding covers the command's words"
    # A point with no text behind it (a file we do not have) still gets one character.
    point = _report([Finding(PLAIN_RULE.code, PLAIN_RULE.name, Severity.WARNING, "m", Location("repo/x.yaml", 3, 7))],
                    {"repo/x.yaml": ""})
    region = _run(_render(point, tmp_path))["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startColumn"], region["endColumn"]) == (7, 8)


def test_rule_help_has_the_explain_examples_and_precision(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nUSER app\n")
    run = _run(_render(_lint_in(tmp_path, ["Dockerfile"]), tmp_path))
    [rule] = run["tool"]["driver"]["rules"]
    markdown = rule["help"]["markdown"]
    from kubelint_py.engine.catalogue import find_rule
    from kubelint_py.report.rule_docs import fixture_examples

    found = find_rule("DF301")
    assert found is not None
    bad, good = fixture_examples(found)
    assert bad and good
    assert f"#### Example\n\n```dockerfile\n{bad}\n```" in markdown
    assert f"#### Use instead\n\n```dockerfile\n{good}\n```" in markdown
    assert rule["properties"]["precision"] == "high"
    assert sarif._fence("a ``` b", "yaml")[0] == "````yaml"


def test_information_uri_only_from_a_documented_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sarif.DOCS_URL_VARIABLE, raising=False)
    run = _run(_render(_report([_finding(PLAIN_RULE, 4)]), tmp_path))
    assert "informationUri" not in run["tool"]["driver"]
    assert "helpUri" not in run["tool"]["driver"]["rules"][0]
    monkeypatch.setenv(sarif.DOCS_URL_VARIABLE, "https://example.org/kubelint-py/blob/main/docs")
    run = _run(_render(_report([_finding(PLAIN_RULE, 4)]), tmp_path))
    assert run["tool"]["driver"]["informationUri"] == "https://example.org/kubelint-py/blob/main/docs/rules.md"
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == (
        "https://example.org/kubelint-py/blob/main/docs/rules.md#zz902-test-plain")
    # The anchor is the one docs/rules.md really has.
    rules_md = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "### KS102 `missing-readiness-probe`" in rules_md
    from kubelint_py.report.rule_docs import _anchor

    assert _anchor("KS102 `missing-readiness-probe`") == _anchor("KS102 missing-readiness-probe")


def test_leaked_credentials_are_critical(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\nENV AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\nUSER app\n")
    run = _run(_render(_lint_in(tmp_path, ["Dockerfile"]), tmp_path))
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert float(rules["DF202"]["properties"]["security-severity"]) >= 9.0
    # Lowered by the user: rated by the configured severity instead.
    from kubelint_py.engine.catalogue import find_rule

    found = find_rule("DF202")
    assert found is not None
    from kubelint_py.report.rule_meta import security_severity

    assert security_severity(found, Severity.WARNING) == "5.5"


def test_empty_run_is_valid(tmp_path: Path) -> None:
    run = _run(_render(_report([], {}), tmp_path))
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


def test_conftest_hook_validates_every_render(tmp_path: Path) -> None:
    before = support.validated_count
    sarif.render(_report([]), cwd=tmp_path)
    assert support.validated_count == before + 1
    # The command line streams its log through sarif.write: checked as well.
    from cli_support import invoke

    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                       "spec: {containers: [{name: c, image: 'nginx:latest'}]}\n")
    invoke(["check", str(tmp_path / "pod.yaml"), "--no-cache", "--no-config", "--format", "sarif"])
    assert support.validated_count == before + 2
    with pytest.raises(AssertionError):
        bad = json.loads(sarif.render(_report([_finding(PLAIN_RULE, 4)]), cwd=tmp_path))
        bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
        check_sarif(bad)


_NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12)


@st.composite
def _findings(draw: st.DrawFn) -> tuple[list[Finding], dict[str, str]]:
    paths = draw(st.lists(_NAMES.filter(lambda n: n not in (".", "..")), min_size=1, max_size=3, unique=True))
    texts = {f"repo/{p}": draw(st.text(max_size=60)) for p in paths}
    findings = []
    for _ in range(draw(st.integers(0, 8))):
        path = draw(st.sampled_from(sorted(texts)))
        line, column = draw(st.integers(1, 40)), draw(st.integers(1, 80))
        end_line = line + draw(st.integers(0, 2))
        end_column = draw(st.integers(0, 90))
        rule = draw(st.sampled_from([SECURITY_RULE, PLAIN_RULE]))
        related = tuple(Related(Location(draw(st.sampled_from(sorted(texts))), draw(st.integers(1, 9))),
                                draw(st.text(max_size=20))) for _ in range(draw(st.integers(0, 2))))
        suppressed = draw(st.sampled_from([None, Suppression("inSource", "why"), Suppression("external")]))
        findings.append(Finding(rule.code, rule.name, draw(st.sampled_from(list(Severity))), draw(st.text(max_size=40)),
                                Location(path, line, column, end_line, end_column), related, suppressed))
    return findings, texts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_findings(), shown=st.booleans())
def test_any_report_gives_a_valid_log(tmp_path: Path, data: tuple[list[Finding], dict[str, str]],
                                      shown: bool) -> None:
    findings, texts = data
    (tmp_path / ".git").mkdir(exist_ok=True)
    log = _render(_report(findings, texts), tmp_path, suppressions=shown)
    results = _run(log)["results"]
    assert len(results) == sum(1 for f in findings if shown or f.suppressed is None)


def test_semantic_version_only_when_the_version_is_semver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(_render(_report([]), tmp_path))["tool"]["driver"]["semanticVersion"] == sarif.__version__
    monkeypatch.setattr(sarif, "__version__", "0.2.0.dev1")
    driver = _run(_render(_report([]), tmp_path))["tool"]["driver"]
    assert driver["version"] == "0.2.0.dev1" and "semanticVersion" not in driver


def test_git_top_level_is_found_from_a_git_folder_or_file(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/a\n")  # a worktree or submodule
    cache: dict[str, str | None] = {}
    assert git_toplevel(str(tmp_path / "a" / "b"), cache) == str(tmp_path / "a")
    assert cache[str(tmp_path / "a" / "b")] == str(tmp_path / "a")
    (tmp_path / "a" / "b" / ".git").mkdir()
    assert git_toplevel(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
