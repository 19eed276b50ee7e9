"""Fixes (issue 18): the fixture pairs, the fix engine's guarantees, and a property test over real files."""

from __future__ import annotations

import difflib
import shutil
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelint_py.api import Report, fix_paths, lint
from kubelint_py.core.source import Location, Span
from kubelint_py.engine.catalogue import all_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Edit, Finding, Fix, Target, Violation
from kubelint_py.results.fixes import (
    MAX_PASSES,
    fix_report,
    fix_text,
    fixable,
    resolve,
    unified_diff,
    write_keeping_mode,
)
from tests.fix_support import FixPair, all_pairs
from tests.fixture_support import FIXTURES
from tests.rule_support import temporary_rule

ROOT = Path(__file__).resolve().parent.parent
PAIRS = all_pairs()
SAMPLE = ROOT / "tests" / "data" / "fix-corpus"
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"  # beside the clone, as CI lays it out


def _config(**settings: Any) -> Config:
    values: dict[str, Any] = {"fail_on": None, "use_cache": False}
    values.update(settings)
    return Config(**values)


# --- fixture pairs -------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_fix_pair(pair: FixPair, tmp_path: Path) -> None:
    assert pair.after.is_file(), f"{pair.after.name} is missing (python -m tests.fix_support writes it)"
    # --diff shows what --fix then writes.
    shutil.copyfile(pair.before, tmp_path / pair.target_name)
    preview = fix_paths([str(tmp_path)], pair.config(), unsafe=pair.unsafe, write=False, workers=1)
    assert [new for _, new in preview.changed.values()] == [pair.after.read_text(encoding="utf-8")]
    assert (tmp_path / pair.target_name).read_text(encoding="utf-8") == pair.before.read_text(encoding="utf-8")
    target, run = pair.run(tmp_path)
    assert target.read_text(encoding="utf-8") == pair.after.read_text(encoding="utf-8")
    assert any(f.code == pair.code for f in run.fixed), "the pair fixes nothing of its own rule"
    assert not [f for f in run.report.findings if f.code == pair.code and fixable(f, unsafe=pair.unsafe)]
    # --fix twice is a no-op.
    again = fix_paths([str(tmp_path)], pair.config(), unsafe=pair.unsafe, workers=1)
    assert again.fixed == [] and again.changed == {}
    assert target.read_text(encoding="utf-8") == pair.after.read_text(encoding="utf-8")


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_fix_pair_without_unsafe_fixes_applies_only_safe_ones(pair: FixPair, tmp_path: Path) -> None:
    if not pair.unsafe:
        pytest.skip("a safe pair")
    target = tmp_path / pair.target_name
    shutil.copyfile(pair.before, target)
    run = fix_paths([str(tmp_path)], pair.config(), unsafe=False, workers=1)
    assert all(f.fix is not None and f.fix.safe for f in run.fixed)
    assert not [f for f in run.fixed if f.code == pair.code and f.fix is not None and not f.fix.safe]


def test_every_rule_with_a_fix_has_a_pair_and_the_other_way_round() -> None:
    declared = {r.code: r.autofix for r in all_rules() if r.autofix}
    paired = {p.code for p in PAIRS}
    assert sorted(set(declared) - paired) == []
    assert sorted(paired - set(declared)) == []
    assert set(declared.values()) <= {"safe", "unsafe"}
    for pair in PAIRS:  # a rule declared unsafe has only unsafe pairs
        if declared[pair.code] == "unsafe":
            assert pair.unsafe, pair.id


def test_the_issue_lists_safe_and_unsafe_fixes() -> None:
    declared = {r.code: r.autofix for r in all_rules() if r.autofix}
    for code in ("DC403", "DC402", "KS412", "KS409", "KS408", "KS407", "DF312", "DF320", "DF307", "DF104", "DF105",
                 "DF103", "KL007"):
        assert declared.get(code) == "safe", code
    for code in ("DF308", "DF316", "DF310", "KS302", "KS304", "KS306"):
        assert declared.get(code) == "unsafe", code


# --- the engine ----------------------------------------------------------------------------------


COMPOSE = "version: '3'\nservices:\n  web:\n    image: nginx:1.27\n    ports:\n      - 22:22\n"
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: web:1.2.0
"""


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_bytes(COMPOSE.replace("\n", "\r\n").encode())
    (tmp_path / "pod.yaml").write_bytes(POD.replace("\n", "\r\n").encode())
    run = fix_paths([str(tmp_path)], _config(select=("DC402", "DC403", "KS302")), unsafe=True, workers=1)
    assert {f.code for f in run.fixed} == {"DC402", "DC403", "KS302"}
    compose = (tmp_path / "compose.yaml").read_bytes().decode()
    assert compose == COMPOSE.replace("version: '3'\n", "").replace("22:22", '"22:22"').replace("\n", "\r\n")
    pod = (tmp_path / "pod.yaml").read_bytes().decode()
    assert "\n" not in pod.replace("\r\n", "")
    assert "      securityContext:\r\n        allowPrivilegeEscalation: false\r\n" in pod


def test_byte_order_mark_mode_and_symlink_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "base.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + COMPOSE.encode())
    target.chmod(0o640)
    (tmp_path / "compose.yaml").symlink_to("real/base.yaml")
    run = fix_paths([str(tmp_path / "compose.yaml")], _config(select=("DC403",)), workers=1)
    assert [f.code for f in run.fixed] == ["DC403"]
    assert (tmp_path / "compose.yaml").is_symlink()
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"version" not in data
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in real.iterdir()] == ["base.yaml"]  # no temporary file left behind


def test_write_keeping_mode_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_keeping_mode(str(tmp_path), b"x")


def test_diff_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    run = fix_paths([str(tmp_path)], _config(select=("DC402", "DC403")), write=False, workers=1)
    assert (tmp_path / "compose.yaml").read_text() == COMPOSE
    diff = unified_diff(run.changed)
    assert diff.splitlines()[2:] == ["@@ -1,6 +1,5 @@", "-version: '3'", " services:", "   web:",
                                     "     image: nginx:1.27", "     ports:", "-      - 22:22", '+      - "22:22"']
    assert diff.startswith("--- a/") and "+++ b/" in diff


def test_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    assert unified_diff({"x.yaml": ("a: 1", "a: 2")}).endswith("+a: 2\n\\ No newline at end of file\n")


def test_unsafe_fixes_for_one_place_land_in_later_passes(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    run = fix_paths([str(tmp_path)], _config(select=("KS302", "KS304", "KS306")), unsafe=True, workers=1)
    assert sorted(f.code for f in run.fixed) == ["KS302", "KS304", "KS306"]
    assert 1 < run.passes <= MAX_PASSES
    text = (tmp_path / "pod.yaml").read_text()
    assert text.count("securityContext:") == 1
    report = lint([str(tmp_path)], _config())
    assert not [f for f in report.active if f.code in ("KS302", "KS304", "KS306", "KL001")]


def test_a_file_changed_since_the_lint_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE)
    report = lint([str(tmp_path)], _config(select=("DC403",)))
    path.write_text(COMPOSE + "# edited meanwhile\n")
    assert fix_report(report) == []
    assert path.read_text() == COMPOSE + "# edited meanwhile\n"


def test_files_that_are_not_utf8_or_not_linted_files_are_not_fixed(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_bytes(COMPOSE.encode() + b"# caf\xe9\n")
    run = fix_paths([str(tmp_path)], _config(select=("DC403",)), workers=1)
    assert run.fixed == [] and run.changed == {}
    # A finding whose file is not one of the report's files (a rendered chart, say) is skipped.
    report = lint([str(tmp_path)], _config(select=("DC403",)))
    stray = Finding("DC403", "obsolete-version", report.rules[0].severity, "m", Location("rendered/x.yaml", 1),
                    fix=Fix((Edit(Span(1, 1, 2, 1), ""),), True, "d"))
    report.findings.append(stray)
    assert fix_report(report) == []


def _rule_with_fix(make: Any) -> Any:
    def check(dockerfile: Any, ctx: Any) -> Iterator[Violation]:
        for ins in dockerfile.instructions:
            if ins.keyword == "RUN":
                yield Violation("test", Location(dockerfile.path, ins.span.line, 1), fix=make(ins))
    return check


def test_a_fix_that_breaks_the_file_is_rolled_back(tmp_path: Path) -> None:
    text = "FROM debian:12\nRUN echo one\nRUN echo two\n"
    (tmp_path / "Dockerfile").write_text(text)

    def unterminated(ins: Any) -> Fix:
        return Fix((Edit(Span.point(ins.span.line, 5), "<<EOF "),), True, "break it")

    with temporary_rule(func=_rule_with_fix(unterminated)):
        run = fix_paths([str(tmp_path)], _config(select=("DF999",)), workers=1)
    assert run.fixed == [] and (tmp_path / "Dockerfile").read_text() == text
    assert run.refused and all("parse" in why or "instruction" in why for _, why in run.refused)


def test_a_fix_that_swallows_the_next_instruction_is_rolled_back(tmp_path: Path) -> None:
    """A trailing continuation joins the next line to the fixed RUN: the edit touches one line only, but
    another instruction changed."""
    text = "FROM debian:12\nRUN echo one\nRUN echo two\nRUN echo three\n"
    (tmp_path / "Dockerfile").write_text(text)

    def continued(ins: Any) -> Fix | None:
        if ins.arguments != "echo one":
            return None
        return Fix((Edit(Span.point(ins.span.line, ins.span.end_column), " \\"),), True, "join")

    with temporary_rule(func=_rule_with_fix(continued)):
        outcome = fix_text("Dockerfile", "dockerfile", text,
                           lint([str(tmp_path)], _config(select=("DF999",))).findings)
    assert outcome.fixed == [] and outcome.new == text
    assert outcome.refused and "instructions" in outcome.refused[0][1]


def test_yaml_fix_changing_a_value_elsewhere_is_rolled_back() -> None:
    """Through an alias, a one-character edit changes a value on another line."""
    text = "a: &x 1\nb: *x\nc: 1\n"
    severity = next(iter(all_rules())).severity
    finding = Finding("KS999", "t", severity, "m", Location("x.yaml", 1),
                      fix=Fix((Edit(Span(1, 7, 1, 8), "2"),), True, "changes b too"))
    outcome = fix_text("x.yaml", "kubernetes", text, [finding])
    assert outcome.new == text and outcome.fixed == []
    assert "line 2" in outcome.refused[0][1]
    good = finding._replace(fix=Fix((Edit(Span(3, 4, 3, 5), "3"),), True, "c only"))
    assert fix_text("x.yaml", "kubernetes", text, [good]).new == "a: &x 1\nb: *x\nc: 3\n"
    broken = finding._replace(fix=Fix((Edit(Span(3, 4, 3, 5), "[3"),), True, "unclosed"))
    assert fix_text("x.yaml", "kubernetes", text, [broken]).refused[0][1] == "the file would no longer parse"


def test_edits_outside_the_text_or_overlapping_in_one_fix_are_refused() -> None:
    text = "a: 1\n"
    assert resolve(Fix((Edit(Span(3, 1, 3, 2), "x"),), True, ""), text, "kubernetes") is None
    assert resolve(Fix((Edit(Span(1, 9, 1, 9), "x"),), True, ""), text, "kubernetes") is None
    assert resolve(Fix((Edit(Span(1, 1, 1, 3), "x"), Edit(Span(1, 2, 1, 4), "y")), True, ""), text,
                   "kubernetes") is None
    assert resolve(Fix((Edit(Span(2, 1, 2, 1), "b: 2\n"),), True, ""), text, "kubernetes") is not None


def test_passes_stop_at_the_limit(tmp_path: Path) -> None:
    """A fix that never makes its finding go away is applied at most MAX_PASSES times."""
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo\n")

    def forever(ins: Any) -> Fix:
        return Fix((Edit(Span.point(ins.span.end_line, ins.span.end_column), " x"),), True, "append")

    with temporary_rule(func=_rule_with_fix(forever)):
        run = fix_paths([str(tmp_path)], _config(select=("DF999",)), workers=1)
    assert run.passes == MAX_PASSES
    assert (tmp_path / "Dockerfile").read_text() == "FROM debian:12\nRUN echo" + " x" * MAX_PASSES + "\n"


def test_a_temporary_rule_target_is_dockerfile() -> None:
    with temporary_rule() as rule_obj:
        assert rule_obj.target is Target.DOCKERFILE


# --- property: every safe fix on real files ------------------------------------------------------


def _changed_old_lines(old: str, new: str) -> set[int]:
    """1-based lines of `old` that the change replaced or deleted, and the lines insertions went before."""
    matcher = difflib.SequenceMatcher(None, old.split("\n"), new.split("\n"), autojunk=False)
    lines: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            lines.update(range(i1 + 1, i2 + 1))
        elif tag == "insert":
            lines.add(i1 + 1)
    return lines


def _named_lines(findings: Iterable[Finding]) -> set[int]:
    lines: set[int] = set()
    for finding in findings:
        assert finding.fix is not None
        for edit in finding.fix.edits:
            lines.update(range(edit.span.line, edit.span.end_line + 1))
    return lines


def _counts(report: Report) -> Counter[tuple[str, str]]:
    return Counter((f.location.path, f.code) for f in report.active)


def check_safe_fixes(root: Path, config: Config, *, unsafe: bool = False) -> Counter[str]:
    """Apply every safe fix (and unsafe ones with `unsafe`) under `root` pass by pass and check the issue's
    properties; the fixed codes."""
    report = lint([str(root)], config)
    fixed: Counter[str] = Counter()
    refused: set[tuple[str, str, str]] = set()
    for _ in range(MAX_PASSES):
        every = fix_report(report, unsafe=unsafe)
        refused.update((f.location.path, f.code, f.message) for o in every for f, _ in o.refused)
        outcomes = [o for o in every if o.new != o.old]
        if not outcomes:
            break
        sources = {f.path: f for f in report.files}
        for outcome in outcomes:
            # Each changed line is one a fix named.
            assert _changed_old_lines(outcome.old, outcome.new) <= _named_lines(outcome.fixed), outcome.path
            write_keeping_mode(sources[outcome.path].fs_path, outcome.new.encode("utf-8"))
            fixed.update(f.code for f in outcome.fixed)
        after = lint([str(root)], config)
        before_counts, after_counts = _counts(report), _counts(after)
        # No new finding (parse errors included), and the fixed ones are gone.
        grown = {key: n for key, n in after_counts.items() if n > before_counts.get(key, 0)}
        assert grown == {}, grown
        gone = Counter((f.location.path, f.code) for o in outcomes for f in o.fixed)
        for key, n in gone.items():
            assert after_counts.get(key, 0) <= before_counts[key] - n, key
        report = after
    # What remains fixable is what the engine refused (and said why).
    assert not [f for f in report.findings if fixable(f, unsafe=unsafe)
                and (f.location.path, f.code, f.message) not in refused]
    return fixed


def _copy(source: Path, target: Path, *, pattern: str | None = None) -> Path:
    if pattern is None:
        shutil.copytree(source, target, symlinks=True)
        return target
    for path in sorted(source.rglob(pattern)):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return target


def test_safe_fixes_on_the_fixtures(tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    for fmt in ("kubernetes", "compose", "dockerfile", "general"):
        _copy(FIXTURES / fmt, root / fmt)
    fixed = check_safe_fixes(root, _config(extend_select=("KL007",)))
    assert {"DC402", "DC403", "KS407", "KS409", "KS412", "DF103", "DF104", "DF105", "DF307", "DF312",
            "DF320"} <= set(fixed)


def test_safe_fixes_on_the_real_sample(tmp_path: Path) -> None:
    fixed = check_safe_fixes(_copy(SAMPLE, tmp_path / "sample"), _config())
    assert {"DC403", "KS407", "KS409"} <= set(fixed)


@pytest.mark.skipif(not SHARED_CORPORA.is_dir(), reason="the shared corpora are not on this machine")
def test_safe_fixes_on_the_shared_corpora(tmp_path: Path) -> None:
    fixed = check_safe_fixes(_copy(SHARED_CORPORA, tmp_path / "corpora"), _config())
    assert sum(fixed.values()) > 0


def test_unsafe_fixes_keep_the_same_properties(tmp_path: Path) -> None:
    fixed = check_safe_fixes(_copy(SAMPLE, tmp_path / "sample"), _config(), unsafe=True)
    assert {"KS302", "KS304", "KS306"} <= set(fixed)
    root = tmp_path / "fixtures"
    for fmt in ("kubernetes", "dockerfile"):
        _copy(FIXTURES / fmt, root / fmt)
    assert {"DF308", "DF310", "DF316", "KS302"} <= set(check_safe_fixes(root, _config(), unsafe=True))


# --- command line and reports --------------------------------------------------------------------


def _project(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "pod.yaml").write_text(POD)
    return tmp_path


def _check(*args: str) -> Any:
    from tests.cli_support import invoke

    return invoke(["check", "--no-cache", "--no-config", *args])


def test_text_marks_fixable_findings_and_counts_them(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _check(str(root), "--select", "DC402", "--select", "DC403", "--select", "KS302")
    lines = result.stdout.splitlines()
    assert any(" DC403 [*] [info] " in line for line in lines)
    assert any(" KS302 [warning] " in line for line in lines)  # unsafe: not fixable without --unsafe-fixes
    assert lines[-1].startswith("Found 3 problems") and lines[-1].endswith(
        " [*] 2 fixable with --fix (1 more with --unsafe-fixes).")
    unsafe = _check(str(root), "--select", "DC402", "--select", "DC403", "--select", "KS302", "--unsafe-fixes")
    assert any(" KS302 [*] [warning] " in line for line in unsafe.stdout.splitlines())
    assert unsafe.stdout.splitlines()[-1].endswith(" [*] 3 fixable with --fix.")
    assert (root / "compose.yaml").read_text() == COMPOSE  # nothing written without --fix


def test_check_fix_writes_and_reports_what_remains(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _check(str(root), "--select", "DC402", "--select", "DC403", "--select", "KS302", "--fix")
    assert result.exit_code == 1  # KS302 (a warning) remains
    assert result.stdout.splitlines()[-1] == "2 fixed, 1 remaining (1 fixable with --unsafe-fixes)."
    assert "version" not in (root / "compose.yaml").read_text()
    again = _check(str(root), "--select", "DC402", "--select", "DC403", "--select", "KS302", "--fix", "--unsafe-fixes")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "1 fixed, 0 remaining."
    assert "allowPrivilegeEscalation: false" in (root / "pod.yaml").read_text()


def test_check_diff_writes_nothing_and_exits_1_when_something_is_fixable(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _check(str(root), "--select", "DC402", "--select", "DC403", "--diff")
    assert result.exit_code == 1
    assert "-version: '3'\n" in result.stdout and '+      - "22:22"\n' in result.stdout
    assert "would fix 2 findings in 1 file" in result.stderr
    assert (root / "compose.yaml").read_text() == COMPOSE
    assert _check(str(root), "--select", "DC101", "--diff").exit_code == 0


def test_check_diff_escapes_terminal_controls(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian:12\n# \x1b[31mred\nMAINTAINER Jane\n")
    result = _check(str(tmp_path), "--select", "DF312", "--diff")
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout


def test_check_fix_only_reports_no_findings(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = _check(str(root), "--select", "DC402", "--select", "DC403", "--select", "KS302", "--fix-only")
    assert result.exit_code == 0 and result.stdout == ""
    assert "fixed 2 findings in 1 file" in result.stderr
    assert '"22:22"' in (root / "compose.yaml").read_text()


def test_fix_and_write_baseline_do_not_mix(tmp_path: Path) -> None:
    result = _check(str(_project(tmp_path)), "--fix", "--write-baseline", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "--write-baseline" in result.stderr


def test_json_and_sarif_carry_the_edits(tmp_path: Path) -> None:
    import json

    from tests.sarif_support import check_sarif
    from tests.test_outputs import _validate_json

    (tmp_path / "compose.yaml").write_bytes(COMPOSE.replace("\n", "\r\n").encode())
    document = json.loads(_check(str(tmp_path), "--select", "DC402", "--select", "DC403", "-f", "json").stdout)
    _validate_json(document)
    fixes = {f["code"]: f["fix"] for f in document["findings"]}
    assert fixes["DC403"]["safe"] is True
    assert fixes["DC403"]["edits"] == [{"location": {"path": fixes["DC403"]["edits"][0]["location"]["path"],
                                                     "line": 1, "column": 1, "endLine": 2, "endColumn": 1},
                                        "text": ""}]
    assert [e["text"] for e in fixes["DC402"]["edits"]] == ['"', '"']
    assert document["summary"]["fixable"] == 2 and document["summary"]["fixed"] is None

    log = check_sarif(_check(str(tmp_path), "--select", "DC402", "--select", "DC403", "-f", "sarif").stdout)
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    change = results["DC403"]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"].endswith("compose.yaml")
    assert change["replacements"] == [{"deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 2,
                                                         "endColumn": 1}, "insertedContent": {"text": ""}}]
    insertion = results["DC402"]["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert insertion["startColumn"] == insertion["endColumn"] == 9 and insertion["startLine"] == 6
    assert "safe fix" in results["DC403"]["fixes"][0]["description"]["text"]


def test_sarif_fix_keeps_the_files_line_endings(tmp_path: Path) -> None:
    from tests.sarif_support import check_sarif

    (tmp_path / "pod.yaml").write_bytes(POD.replace("\n", "\r\n").encode())
    log = check_sarif(_check(str(tmp_path), "--select", "KS302", "-f", "sarif").stdout)
    replacement = log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == \
        "      securityContext:\r\n        allowPrivilegeEscalation: false\r\n"


def test_explain_shows_the_fix() -> None:
    from tests.cli_support import invoke

    text = invoke(["explain", "DC403"]).stdout
    assert "Autofix: safe" in text and "-version: '3.8'  # obsolete" in text
    assert "Autofix: unsafe" in invoke(["explain", "KS302"]).stdout
    assert "Autofix" not in invoke(["explain", "KS102"]).stdout


def test_a_fix_for_a_finding_located_in_another_file_is_dropped(tmp_path: Path) -> None:
    """Spans come from the model the rule read: a finding traced to another file (a chart template behind a
    rendered manifest, say) keeps its location but loses the fix."""
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo\n")

    def elsewhere(dockerfile: Any, ctx: Any) -> Iterator[Violation]:
        fix = Fix((Edit(Span.point(1, 1), "# x\n"),), True, "t")
        yield Violation("here", Location(dockerfile.path, 1), fix=fix)
        yield Violation("there", Location("templates/other.yaml", 1), fix=fix)

    with temporary_rule(func=elsewhere):
        report = lint([str(tmp_path)], _config(select=("DF999",)))
    fixes = {f.message: f.fix for f in report.findings}
    assert fixes["here"] is not None and fixes["there"] is None


def test_no_block_insertion_is_offered_in_json(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"containers": [{"name": "web", "image": "web:1.2.0",
                                    "securityContext": {"allowPrivilegeEscalation": True}}]}}
    import json

    (tmp_path / "pod.json").write_text(json.dumps(pod, indent=2))
    report = lint([str(tmp_path)], _config(select=("KS302", "KS304")))
    fixes = {f.code: f.fix for f in report.active}
    assert fixes["KS304"] is None  # would insert block YAML into a JSON object
    assert fixes["KS302"] is not None  # true -> false stays JSON
    run = fix_paths([str(tmp_path)], _config(select=("KS302",)), unsafe=True, workers=1)
    assert json.loads((tmp_path / "pod.json").read_text())["spec"]["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False}
    assert [f.code for f in run.fixed] == ["KS302"]


def test_fix_works_on_a_run_replayed_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBELINT_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text(COMPOSE)
    config = _config(select=("DC403",), use_cache=True)
    lint([str(project)], config)
    assert lint([str(project)], config).replayed
    run = fix_paths([str(project)], config, workers=1)
    assert [f.code for f in run.fixed] == ["DC403"]
    assert "version" not in (project / "compose.yaml").read_text()
