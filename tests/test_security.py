"""Issue 23: hostile pull requests. One reproducer per item (each failed before its fix), scaled to just
past the point where the old code blew up, so that the file runs in seconds. The full-size attacks are
measured by hand (README, "Untrusted input"; the figures are in the issue's report).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kubelint_py.api import Report
from kubelint_py.api import lint as lint_paths
from kubelint_py.engine.config import Config
from kubelint_py.report import escape_control, terminal_safe_json

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
         stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False, errors="surrogateescape")


def lint(paths: list[str], config: Config | None = None) -> Report:
    config = config or Config()
    config.use_cache = False
    return lint_paths(paths, config)


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Fail (TimeoutError) when the block uses more CPU time than this: the attacks below took minutes or
    hours before their fix and take milliseconds after, so a generous bound fails fast instead of hanging
    the suite. CPU time, not wall time: a busy machine must not fail it. (Python's regex engine checks for
    signals while it backtracks.)"""

    fired: list[bool] = []

    def expired(signum: int, frame: object) -> None:
        fired.append(True)
        raise TimeoutError(f"over the {seconds} s budget")

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    # Raised inside a callback that swallows exceptions (a garbage-collector hook): still a failure.
    assert not fired, f"over the {seconds} s budget"


def _codes(report: Report) -> list[str]:
    return [f.code for f in report.active]


# --- Outputs: CI workflow commands ---------------------------------------------------------------------


def _workflow_commands(output: str) -> list[str]:
    """Lines GitHub's runner would execute: `::cmd` at a line start (after blanks), `##[` anywhere."""
    return [line for line in output.splitlines() if line.strip().startswith("::") or "##[" in line]


def test_file_names_and_values_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    (tmp_path / "::stop-commands::x.yaml").write_text("a: 1\na: 2\n")
    (tmp_path / "values.yaml").write_text('"##[stop-commands]t": 1\n"##[stop-commands]t": 2\n')
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: ['::error::forged']\n")
    result = _run("check", ".", "--format", "text", "--format", "json", "--format", "sarif",
                  "--format", "github", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    own = ("::error file=", "::warning file=", "::notice file=")
    forged = [line for line in _workflow_commands(result.stdout + result.stderr) if not line.startswith(own)]
    assert forged == []
    # The github format's own commands carry the data escaped too.
    assert not [line for line in result.stdout.splitlines() if line.startswith(own) and "##[" in line]
    assert "\\x3a:stop-commands::x.yaml:2:1: KL004" in result.stdout
    # The JSON documents are the same data: `#\u0023[` is `##[` (SARIF escapes brackets for markdown).
    documents = [line for line in result.stdout.splitlines() if line.startswith('{"$schema"')]
    assert any("##\\[stop-commands\\]t" in r["message"]["text"]
               for r in json.loads(documents[0])["runs"][0]["results"])


def test_config_errors_are_escaped_like_findings(tmp_path: Path) -> None:
    (tmp_path / ".kubelint.yaml").write_text('fail-on: "x\\n::error::forged ##[stop-commands]t \\e[2J"\n')
    (tmp_path / "a.yaml").write_text("a: 1\n")
    result = _run("check", str(tmp_path))
    assert result.returncode == 2
    assert _workflow_commands(result.stderr) == [] and "\x1b" not in result.stderr
    assert "forged" in result.stderr


def test_show_config_and_rules_are_escaped(tmp_path: Path) -> None:
    (tmp_path / ".kubelint.yaml").write_text(
        'exclude: ["::error::x", "##[stop-commands]t"]\n'
        "policies:\n  - code: KP001\n    name: evil\n    summary: \"::error::forged ##[x] \\e[2J\"\n"
        "    message: m\n    kind: Pod\n    require: {path: spec}\n")
    shown = _run("check", str(tmp_path), "--show-config", cwd=tmp_path)
    assert _workflow_commands(shown.stdout) == [] and "::error::x" not in shown.stdout
    listed = _run("rules", cwd=tmp_path)
    assert _workflow_commands(listed.stdout + listed.stderr) == [] and "\x1b" not in listed.stdout


@pytest.mark.parametrize("char", ["\u061c", "\u200b", "\u200d", "\u2060", "\ufeff", "\U000e0041", "\u00ad"])
def test_invisible_and_bidi_characters_are_escaped(char: str) -> None:
    assert char not in escape_control(f"a{char}b")
    safe = terminal_safe_json(json.dumps({"m": f"a{char}b"}, ensure_ascii=False))
    assert char not in safe and json.loads(safe) == {"m": f"a{char}b"}


def test_escape_control_neutralises_commands() -> None:
    assert escape_control("::stop-commands::t") == "\\x3a:stop-commands::t"
    assert escape_control(" \t::x") == " \t\\x3a:x"
    assert escape_control("a::b ##[x] ###[") == "a::b #\\x23[x] ##\\x23["


# --- Outputs: file names that are not UTF-8 ------------------------------------------------------------

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n"


def _non_utf8_tree(tmp_path: Path) -> Path:
    try:
        (Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff.yaml"))).write_text(POD)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    return tmp_path


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_file_name_not_utf8_is_reported_with_surrogate_escapes(tmp_path: Path, fmt: str) -> None:
    tree = _non_utf8_tree(tmp_path)
    # As under a UTF-8 locale (LANG=en_US.UTF-8): standard output refuses surrogates.
    result = _run("check", ".", "--format", fmt, "--no-cache", "--select", "KS201", cwd=tree,
                  env={"PYTHONIOENCODING": "utf-8:strict"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if fmt == "sarif":
        log = json.loads(result.stdout)
        assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
            == "bad%FF.yaml"
    elif fmt == "json":
        assert json.loads(result.stdout)["findings"][0]["location"]["path"].endswith("bad\udcff.yaml")
    else:
        assert "bad\\udcff.yaml" in result.stdout


def test_file_name_not_utf8_with_the_cache(tmp_path: Path) -> None:
    tree = _non_utf8_tree(tmp_path)
    result = _run("check", ".", "--select", "KS201", cwd=tree, env={"PYTHONIOENCODING": "utf-8:strict"})
    assert result.returncode == 1 and "bad\\udcff.yaml" in result.stdout, result.stderr


# --- Outputs: report paths -----------------------------------------------------------------------------


def _demo(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pod.yaml").write_text(POD)
    return tree


def test_report_to_a_device_and_to_standard_output_is_written_through(tmp_path: Path) -> None:
    tree = _demo(tmp_path)
    # A device node of our own (as root, the old code replaced the real /dev/null with a regular file).
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (OSError, AttributeError):
        pytest.skip("cannot create a device node here (not root)")
    before = os.stat(null)
    result = _run("check", str(tree), "-o", str(null), "--no-cache")
    assert result.returncode == 1 and result.stdout == "", result.stderr
    after = os.lstat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "tree"]  # no temporary file left
    # /dev/fd/1 (like /dev/stdout, a link to the open descriptor): after the text report, appended.
    result = _run("check", str(tree), "--format", "text", "--format", "json:/dev/fd/1", "--no-cache")
    assert result.returncode == 1, result.stderr
    text, _, document = result.stdout.partition("\n{")
    assert "KS201" in text and json.loads("{" + document)["findings"]


def test_report_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    tree = _demo(tmp_path)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    result = _run("check", str(tree), "-o", str(fifo), "--no-cache")
    out, _ = reader.communicate(timeout=60)
    assert result.returncode == 1, result.stderr
    assert "KS201" in out and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_report_to_a_symlink_is_refused(tmp_path: Path) -> None:
    tree = _demo(tmp_path)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep")
    link = tmp_path / "report.txt"
    os.symlink(target, link)
    result = _run("check", str(tree), "-o", str(link), "--no-cache")
    assert result.returncode == 2 and "symbolic link" in result.stderr
    assert os.path.islink(link) and target.read_text() == "keep"
    result = _run("check", str(tree), "-o", str(link), "--no-cache", "--force")
    assert result.returncode == 1, result.stderr
    assert os.path.islink(link) and "KS201" in target.read_text()
    baseline = _run("check", str(tree), "--write-baseline", str(link), "--no-cache")
    assert baseline.returncode == 2 and "symbolic link" in baseline.stderr


def test_new_report_files_follow_the_umask(tmp_path: Path) -> None:
    from kubelint_py.core.files import write_atomically

    old = os.umask(0o022)
    try:
        write_atomically(str(tmp_path / "new.json"), "{}")
        existing = tmp_path / "existing.json"
        existing.write_text("")
        existing.chmod(0o640)
        write_atomically(str(existing), "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640 and existing.read_text() == "{}"


# --- Bounds: regular expressions and matching ----------------------------------------------------------


def test_dockerignore_with_many_stars_is_linear() -> None:
    from kubelint_py.discovery.dockerignore import DockerIgnore

    ignore = DockerIgnore.parse("*a" * 30 + "*b\n")
    with budget(5):  # ten stars took 23 s, thirty would take years
        assert not ignore.is_excluded("a" * 60 + "c")
        assert ignore.is_excluded("a" * 30 + "b")


def test_long_dockerignore_against_many_paths() -> None:
    from kubelint_py.discovery.dockerignore import DockerIgnore

    lines = [f"dir{i}/file{i}*.txt" if i % 2 else f"dir{i}/x{i}" for i in range(20_000)]
    ignore = DockerIgnore.parse("\n".join([*lines, "!keep", "dir7/**"]))
    with budget(8):  # 20,000 patterns x 1,000 paths: 60 s before (one regex per pattern per path)
        assert sum(ignore.is_excluded(f"src/pkg{i}/mod{i}.py") for i in range(1_000)) == 0
    assert ignore.is_excluded("dir3/file3-a.txt") and ignore.is_excluded("dir4/x4/deeper")
    assert ignore.is_excluded("dir7/a/b") and not ignore.is_excluded("keep")


def test_jwt_and_url_patterns_are_linear() -> None:
    from kubelint_py.checks.secrets import find_secret_values

    with budget(5):  # 300 KB took 16 s (quadratic)
        assert find_secret_values("eyJ-" * 75_000) == []
        assert find_secret_values("a." * 150_000 + " ://user:pass@host") == []
        assert find_secret_values("-eyJ" * 75_000) == []  # a start after each `-` (the restored case)
        assert find_secret_values(("-eyJ" + "a" * 11) * 20_000 + ".eyJ") == []
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    assert [m.kind for m in find_secret_values(f"Bearer {token}")] == ["JSON web token"]
    # Right after a `-` (the linear pattern lost it: it started only where a run of token characters
    # starts), located at the token as before; glued to a letter or `_` it is no token, as before.
    for prefix in ("--token=-", "jwt-", "a-b-", "a.-"):
        assert [(m.kind, m.start, m.end) for m in find_secret_values(prefix + token)] == \
            [("JSON web token", len(prefix), len(prefix) + len(token))]
    assert find_secret_values("x" + token) == [] and find_secret_values("_" + token) == []


def test_is_interpolated_is_linear() -> None:
    from kubelint_py.models.compose import is_interpolated

    with budget(5):  # 250,000 `${` took 87 s
        assert not is_interpolated("${" * 250_000)
    assert is_interpolated("${A:-${B}}") and is_interpolated("$A") and not is_interpolated("a$$b")


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: as.b}
spec:
  group: b
  scope: Namespaced
  names: {kind: A, plural: as}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          s: {type: string, pattern: '^(a+)+$'}
          u: {type: array, uniqueItems: true, items: {type: object, properties: {k: {type: integer}}}}
          l: {type: string, pattern: '^(?=x)'}
---
apiVersion: b/v1
kind: A
metadata: {name: x}
"""


def test_crd_pattern_with_catastrophic_backtracking(tmp_path: Path) -> None:
    (tmp_path / "crd.yaml").write_text(CRD + "s: '" + "a" * 40 + "b'\nl: zz\n")
    with budget(8):  # 24 `a`s took 19 s before; 40 would take days
        report = lint([str(tmp_path)], Config(select=("KS901", "KL")))
    # The pattern is still checked (by RE2); the lookahead RE2 cannot express is not, and a KL013 at the
    # pattern says so (it was skipped silently).
    assert [(f.code, f.location.line, f.location.column) for f in report.active] == [("KL013", 18, 38),
                                                                                     ("KS901", 23, 4)]
    assert "must match the pattern '^(a+)+$'" in report.active[1].message
    assert report.active[0].message.startswith("KS901 (schema-violation) does not check values against the "
                                               "pattern '^(?=x)' of CustomResourceDefinition/as.b")
    assert report.active[0].severity.label == "warning"


def test_crd_pattern_in_re2_syntax_python_refuses_is_checked(tmp_path: Path) -> None:
    # `(?i)` inside the pattern: RE2 (and Go) accept it, Python's `re` does not. It was left out silently
    # (kube-prometheus's AlertmanagerConfig CRD); it is checked, by RE2, with no KL013.
    crd = CRD.replace("'^(?=x)'", "'^((?i)may|june)$'")
    (tmp_path / "crd.yaml").write_text(crd + "l: June\n")
    assert _codes(lint([str(tmp_path)], Config(select=("KS901", "KL")))) == []
    (tmp_path / "crd.yaml").write_text(crd + "l: july\n")
    assert _codes(lint([str(tmp_path)], Config(select=("KS901", "KL")))) == ["KS901"]


def test_crd_unique_items_on_a_large_list(tmp_path: Path) -> None:
    from kubelint_py.schemas.validation import SchemaValidator

    validator = SchemaValidator({"type": "array", "uniqueItems": True})
    items = [{"k": i, "v": [i, str(i)]} for i in range(5_000)]
    with budget(8):  # pairwise: 12.5 million comparisons, twice (the fast check and jsonschema)
        assert validator.is_valid(items)
        assert [i.message for i in validator.issues([*items, {"v": [0, "0"], "k": 0}])] == \
            ["the top level has duplicate items"]
    assert not validator.is_valid([1, 1.0]) and validator.is_valid([1, True]) and validator.is_valid([0, False])


def test_schema_messages_never_repr_the_whole_instance() -> None:
    import tracemalloc

    from kubelint_py.schemas.validation import SchemaValidator

    validator = SchemaValidator({"type": "object", "properties": {"a": {"type": "integer"},
                                                                  "b": {"type": "string", "pattern": "^x$"}}})
    big = "y" * 200_000
    tracemalloc.start()
    try:
        issues = validator.issues({"a": [big] * 200, "b": big})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [i.validator for i in issues] == ["type", "pattern"]
    assert all(len(i.message) < 300 for i in issues)
    assert peak < 10_000_000  # the repr of the list alone was 40 MB


def test_schema_validation_failures_are_kl005_not_silence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.schemas import validation

    class Exploding:
        def __init__(self, schema: object) -> None:
            pass

        def iter_errors(self, instance: object) -> Iterator[object]:
            raise RecursionError("maximum recursion depth exceeded")
            yield

    monkeypatch.setattr(validation, "_validator_class", lambda strict: Exploding)
    validator = validation.SchemaValidator({"type": "object", "properties": {"a": {"type": "integer"}}})
    with pytest.raises(Exception, match="RecursionError") as failure:  # it returned [] (silence)
        validator.issues({"a": "x"})
    assert type(failure.value).__name__ == "SchemaCheckFailed"
    # The engine reports a rule that raises as KL005, on the file.
    (tmp_path / "pod.yaml").write_text(POD.replace("  containers:", "  containerz: 1\n  containers:"))
    monkeypatch.setattr(validation.SchemaValidator, "issues", lambda self, *a, **k: validator.issues({"a": "x"}))
    report = lint([str(tmp_path)], Config(select=("KS901", "KL")))
    assert [f.code for f in report.active] == ["KL005"]
    assert "KS901" in report.active[0].message and "RecursionError" in report.active[0].message


# --- Bounds: memory amplification ----------------------------------------------------------------------


def test_aliases_are_counted_by_expanded_bytes(tmp_path: Path) -> None:
    # Scaled: 100 KB aliased 400 times (the attack: 1 MB x 3,000, 6 GB and a 1.4 GB SARIF before).
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {a: &a \"" + "x" * 100_000 + "\"}}\n"
        "spec:\n  containers:\n  - name: c\n    image: x:1\n    args: [" + ", ".join(["*a"] * 400) + "]\n")
    report = lint([str(tmp_path)], Config(select=("KL",)))
    assert [f.code for f in report.active] == ["KL001"]
    assert "aliases expand this document" in report.active[0].message
    # The file's own text is not expansion: a large document without aliases is read as before.
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata:\n"
        + "".join(f"  k{i}: \"{'x' * 5_000}\"\n" for i in range(2_000)))
    report = lint([str(tmp_path)], Config(select=("KL",)))
    assert report.active == [] and len(report.files[0].resources) == 1


def test_finding_floods_are_capped_per_rule_and_per_file(tmp_path: Path) -> None:
    from kubelint_py.engine import caps

    # Scaled: one Pod of 1,200 containers (the attack: 160 Pods x 1,000, 1.76 M findings and 6.9 GB).
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                                       + "".join(f"  - {{name: c{i}, image: x}}\n" for i in range(1_200)))
    report = lint([str(tmp_path)], Config(select=("KS", "KL")))
    codes = _codes(report)
    assert len(codes) - codes.count("KL012") <= caps.MAX_PER_FILE + caps.MAX_PER_RULE
    capped = [f.message for f in report.active if f.code == "KL012"]
    assert any("reached 1,000 findings: no rule was run on its other" in m for m in capped)
    # One rule alone stops at its own cap.
    report = lint([str(tmp_path)], Config(select=("KS102", "KL")))
    assert _codes(report).count("KS102") == caps.MAX_PER_RULE
    assert [f.message for f in report.active if f.code == "KL012"] == [
        "KS102 (missing-readiness-probe) reached 500 findings in this file: it was not run on the rest of "
        "the file and its other findings here are not reported"]


def test_findings_are_capped_per_rule_in_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.core.source import Location
    from kubelint_py.engine import caps
    from kubelint_py.engine.registry import Finding, Severity

    monkeypatch.setattr(caps, "MAX_PER_RULE_RUN", 10)
    findings = [Finding("KS102", "x", Severity.WARNING, "m", Location(f"f{i}.yaml", 1, 1)) for i in range(25)]
    kept = caps.cap_run([*findings, Finding("KS101", "y", Severity.WARNING, "m", Location("a.yaml", 1, 1))])
    assert [f.code for f in kept] == ["KS102"] * 10 + ["KS101", "KL012"]
    assert kept[-1].location.path == "f10.yaml" and "15 more were dropped" in kept[-1].message


class _CountingStream:
    """A text stream that records how it was written to."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _old_text(report: Report) -> str:
    """The text report as it was rendered whole (no colour): lines joined, then one newline."""
    from kubelint_py.report.text import fix_summary, summary

    lines: list[str] = []
    for f in report.active:
        mark = " [*]" if f.fix is not None and f.fix.edits and (f.fix.safe or report.unsafe_fixes) else ""
        lines.append(f"{escape_control(f.location.path)}:{f.location.line}:{f.location.column}: {f.code}{mark} "
                     f"[{f.severity.label}] {escape_control(f.message)} ({f.name})")
        lines += [f"    {escape_control(r.location.path)}:{r.location.line}:{r.location.column}: "
                  f"{escape_control(r.message)}" for r in f.related]
    fixes = fix_summary(report)
    lines.append(f"{summary(report)} {fixes}" if fixes else summary(report))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def fixtures_report() -> Report:
    return lint([str(ROOT / "fixtures")])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_reports_are_streamed_finding_by_finding(fmt: str, fixtures_report: Report) -> None:
    from kubelint_py.report import json as json_report
    from kubelint_py.report import sarif, text

    report = fixtures_report
    stream = _CountingStream()
    if fmt == "text":
        text.write(report, stream)  # type: ignore[arg-type]
        expected = _old_text(report)
        count = len(report.active)
    elif fmt == "json":
        json_report.write(report, stream)  # type: ignore[arg-type]
        expected = terminal_safe_json(json.dumps(json_report.document(report), indent=2, ensure_ascii=False)) + "\n"
        count = len(report.findings)
    else:
        sarif.write(report, stream)  # type: ignore[arg-type]
        expected = terminal_safe_json(json.dumps(sarif.build_log(report), ensure_ascii=False)) + "\n"
        count = len(report.active)
    # The same bytes as the document rendered whole (as before), ...
    assert count > 1_000 and stream.text == expected
    # ... written a finding at a time: no write holds more than a small part of the report.
    assert len(stream.parts) >= count
    assert max(len(part) for part in stream.parts) < min(len(expected) // 20, 200_000)


def test_cli_streams_each_format_to_standard_output_and_files(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    result = _run("check", str(tmp_path), "--no-cache", "--format", "text", "--format", "json",
                  "--format", f"sarif:{tmp_path / 'out.sarif'}", "--format", f"json:{tmp_path / 'out.json'}")
    assert result.returncode == 1, result.stderr
    text_part, _, json_part = result.stdout.partition("\n{")
    assert "KS201" in text_part and json.loads("{" + json_part)["findings"]
    assert json.loads((tmp_path / "out.json").read_text()) == json.loads("{" + json_part) | {
        "summary": json.loads((tmp_path / "out.json").read_text())["summary"]}
    assert json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]


# --- Bounds: configuration from the pull request -------------------------------------------------------


def _limited(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI under 1 GB of address space and 30 s (the old code read /dev/zero until memory ran out,
    and blocked on a FIFO)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=30, check=False, preexec_fn=limit, env={**os.environ, "NO_COLOR": "1"})


def test_configuration_may_only_name_paths_inside_the_repository(tmp_path: Path) -> None:
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import build_config

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / "pod.yaml").write_text(POD)
    for setting in ("project-root: /", "baseline: /dev/zero", "policies: [/etc]", "project-root: ../.."):
        (repo / ".kubelint.yaml").write_text(setting + "\n")
        with pytest.raises(ConfigError, match="outside the repository"):
            build_config([str(repo)])
    (repo / ".kubelint.yaml").write_text("project-root: sub\n")
    assert build_config([str(repo)]).project_root == str((repo / "sub").resolve())
    # A link inside the repository to a folder outside it is outside too.
    os.symlink("/", repo / "root")
    (repo / ".kubelint.yaml").write_text("project-root: root\n")
    with pytest.raises(ConfigError, match="outside the repository"):
        build_config([str(repo)])


def test_baseline_from_a_device_or_a_fifo(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    os.mkfifo(tmp_path / "baseline.fifo")
    for baseline in ("/dev/zero", str(tmp_path / "baseline.fifo")):
        result = _limited("check", ".", "--baseline", baseline, "--no-cache", cwd=tmp_path)
        assert result.returncode == 2, result.stderr[-300:]
        assert "is not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_deeply_nested_toml_configuration(tmp_path: Path) -> None:
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.config_file import build_config

    (tmp_path / "pyproject.toml").write_text("[tool.kubelint]\nselect = " + "[" * 5_000 + "]" * 5_000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        build_config([str(tmp_path)])


def test_policy_regexes_are_linear_and_lookaround_is_refused(tmp_path: Path) -> None:
    from kubelint_py.engine.config import ConfigError
    from kubelint_py.engine.policies import load_policy_file

    policy = tmp_path / "pol" / "p.yaml"
    policy.parent.mkdir()
    policy.write_text("code: ACME001\nname: name-shape\nsummary: s\nmatch: {format: kubernetes, kinds: [Pod]}\n"
                      "target: object\nschema: {properties: {metadata: {properties: {name: {pattern: "
                      "'^(a+)+$'}}}}}\nmessage: bad name\n")
    (tmp_path / "pod.yaml").write_text(POD.replace("name: p}", "name: " + "a" * 40 + "b}"))
    with budget(8):  # thirty `a`s backtracked for minutes
        report = lint([str(tmp_path / "pod.yaml")], Config(select=("ACME001",), policies=(str(policy.parent),)))
    assert _codes(report) == ["ACME001"]
    policy.write_text(policy.read_text().replace("^(a+)+$", "^(?!x)"))
    with pytest.raises(ConfigError, match="not supported: patterns are matched by RE2"):
        load_policy_file(policy)


# --- Bounds: quadratic Dockerfiles ---------------------------------------------------------------------


def test_long_from_chain_is_not_quadratic(tmp_path: Path) -> None:
    from kubelint_py.checks.dockerfile._common import MAX_ANCESTRY, ancestry
    from kubelint_py.parsing.dockerfile import parse_dockerfile

    # Scaled: 5,000 stages each built FROM the one before (the attack: 20,000, over 200 s before).
    text = "FROM alpine:3.20 AS s0\n" + "".join(f"FROM s{i - 1} AS s{i}\nRUN true\n" for i in range(1, 5_000))
    (tmp_path / "Dockerfile").write_text(text)
    with budget(10):
        report = lint([str(tmp_path)], Config(select=("DF", "KL")))
    assert "KL005" not in _codes(report)
    # The cut is a finding (it was silent), once, at the first stage whose chain is longer than the limit.
    cut = [f for f in report.active if f.code == "KL013"]
    assert [(f.location.line, f.severity.label) for f in cut] == [(2 * 64, "warning")]  # `FROM s63 AS s64`
    assert cut[0].message.startswith("this stage is built FROM a chain of 65 stages")
    (tmp_path / "Dockerfile").write_text(text[:text.index("FROM s63 AS s64")])
    assert "KL013" not in _codes(lint([str(tmp_path)], Config(select=("DF", "KL"))))
    dockerfile = parse_dockerfile("Dockerfile", text)
    assert dockerfile.stages[-1].parent_stage == 4_998
    assert len(ancestry(dockerfile, dockerfile.stages[-1])) == MAX_ANCESTRY


def test_chained_args_see_earlier_values_without_copying(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.parsing import dockerfile as parser

    # 60,000 chained ARGs took 12 s: each instruction copied every variable so far (quadratic). Count the
    # entries copied; the values must stay right.
    copied = [0]
    original = parser._StageBuilder.variables

    def counting(self: object) -> object:
        found = original(self)  # type: ignore[arg-type]
        if isinstance(found, dict):
            copied[0] += len(found)
        return found

    monkeypatch.setattr(parser._StageBuilder, "variables", counting)
    text = "FROM alpine:3.20\nARG A0=x\n" + "".join(f"ARG A{i}=${{A{i - 1}}}y\n" for i in range(1, 2_000))
    text += "ENV E=1 F=$E\nENV E=2 G=$E\n"
    stage = parser.parse_dockerfile("Dockerfile", text).stages[0]
    assert copied[0] < 10 * 2_000
    assert stage.args["A1999"] == "x" + "y" * 1_999
    assert (stage.env["E"], stage.env["F"], stage.env["G"]) == ("2", "", "1")


# --- Bounds: compose services extending a large base --------------------------------------------------


def _extending(services: int, variables: int, own: bool) -> str:
    lines = ["services:", "  base:", "    image: x:1", "    environment:", "      DB_PASSWORD: hunter2xyzQ"]
    lines += [f"      V{i}: value{i}" for i in range(variables)]
    for i in range(services):
        lines += [f"  s{i}:", "    extends: base"]
        if own:
            lines += ["    environment:", f"      OWN{i}: x", f"      OWN_TOKEN: own-s3cr3t-{i}"]
    return "\n".join(lines) + "\n"


def test_compose_services_extending_a_large_base_share_its_environment(tmp_path: Path) -> None:
    # The attack at full size: 3,000 services extending a base of 3,000 variables (28.8 s of CPU before:
    # DC308 checked the same 3,000 values 9 million times and reported the base's secret 3,000 times).
    (tmp_path / "compose.yaml").write_text(_extending(3_000, 3_000, own=False))
    with budget(8):
        report = lint([str(tmp_path)], Config(select=("DC", "KL")))
    assert [(f.code, f.location.line) for f in report.active] == [("DC308", 5)]
    assert report.active[0].message.startswith("service 'base' environment variable DB_PASSWORD holds")


def test_compose_services_adding_to_a_large_base_share_its_entries(tmp_path: Path) -> None:
    # Each service adds to the base's environment: each merge copied its 3,000 entries with their spans
    # and paths (9 million entries, 1.3 GB) and DC308 checked all 9 million. Now the copies share the
    # base's spans and paths, and DC308 checks each service's own entries only.
    (tmp_path / "compose.yaml").write_text(_extending(3_000, 3_000, own=True))
    with budget(8):
        report = lint([str(tmp_path)], Config(select=("DC308", "KL")))
    assert _codes(report) == ["DC308"] * (1 + 3_000)  # the base's secret once, each service's own once
    assert [f.message.split(" holds")[0] for f in report.active[:3]] == [
        "service 'base' environment variable DB_PASSWORD", "service 's0' environment variable OWN_TOKEN",
        "service 's1' environment variable OWN_TOKEN"]


def test_compose_service_overriding_an_inherited_secret(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  base:\n    image: x:1\n    environment:\n      - DB_PASSWORD=hunter2xyzQ\n      - A=b\n"
        "  s1:\n    extends: base\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n"
        "  s2:\n    extends: s1\n    environment:\n      API_TOKEN: s3cr3t-t0ken-value\n"
        "  s3:\n    extends: base\n    environment:\n      DB_PASSWORD: !reset null\n")
    report = lint([str(tmp_path)], Config(select=("DC308", "KL")))
    assert [(f.location.line, f.message.split(" holds")[0]) for f in report.active] == [
        (5, "service 'base' environment variable DB_PASSWORD"), (14, "service 's2' environment variable API_TOKEN")]


def test_compose_merging_has_a_budget_and_says_what_it_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.building import compose_project

    # Past MAX_MERGED_ENTRIES copied entries (10 million: 400 MB), the services not merged yet are left
    # out of the project rules, and a KL013 says which. Scaled: a budget of 1,000,000.
    monkeypatch.setattr(compose_project, "MAX_MERGED_ENTRIES", 1_000_000)
    (tmp_path / "compose.yaml").write_text(_extending(1_000, 3_000, own=True))
    with budget(8):
        report = lint([str(tmp_path)], Config(select=("DC308", "KL")))
    codes = _codes(report)
    cut = next(f for f in report.active if f.code == "KL013")
    merged = codes.count("DC308") - 1  # the base's secret, and each merged service's own
    assert codes.count("KL013") == 1 and 300 < merged < 340
    assert f"the compose project rules were not run on {1_000 - merged} services of this file ('s{merged}', " \
           f"'s{merged + 1}', 's{merged + 2}' and {1_000 - merged - 3} more)" in cut.message
    assert cut.location.line == 3_006 + merged * 5
    # Under the budget nothing is cut.
    (tmp_path / "compose.yaml").write_text(_extending(20, 100, own=True))
    report = lint([str(tmp_path)], Config(select=("DC308", "KL")))
    assert _codes(report) == ["DC308"] * 21


# --- Templates: each document judged on its own --------------------------------------------------------

PRIVILEGED = POD + "    securityContext: {privileged: true}\n"


def test_one_brace_pair_does_not_hide_a_file_with_an_invalid_document(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(PRIVILEGED + "---\nthis: is: invalid: [\n---\n"
                                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '{{ x }}'}\n")
    report = lint([str(tmp_path)], Config(select=("KL", "KS301")))
    assert [(f.code, f.location.line) for f in report.active] == [("KS301", 8), ("KL001", 10)]
    assert report.failed


def test_only_template_documents_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(PRIVILEGED + "---\n{{- if .Values.x }}\napiVersion: v1\nkind: Pod\n"
                                     "metadata: {name: {{ .Values.name }}}\n{{- end }}\n")
    (tmp_path / "c.yaml").write_text("{{- if .Values.x }}\napiVersion: v1\nkind: Pod\n{{- end }}\n")
    report = lint([str(tmp_path)], Config(select=("KL", "KS301")))
    assert sorted((Path(f.location.path).name, f.code, f.location.line) for f in report.active) == [
        ("b.yaml", "KL002", 10), ("b.yaml", "KS301", 8), ("c.yaml", "KL002", 1)]
    # A mapping used as a key (`{{ x }}: 1` read as flow mappings) in one document skips that one only.
    (tmp_path / "b.yaml").write_text(PRIVILEGED + "---\n{{ x }}: 1\n")
    report = lint([str(tmp_path / "b.yaml")], Config(select=("KL", "KS301")))
    assert [(f.code, f.location.line) for f in report.active] == [("KS301", 8), ("KL002", 10)]


# --- Low -----------------------------------------------------------------------------------------------


def test_ignore_file_inside_a_block_scalar_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  script: |\n    echo hi\n"
        "    # kubelint: ignore-file=all\n  other: >-\n\n    # kubelint: ignore-file=all\n---\n" + PRIVILEGED)
    report = lint([str(tmp_path)], Config(select=("KS301", "KL")))
    assert [(f.code, f.location.line) for f in report.active] == [("KS301", 19)]
    # A real comment still works.
    (tmp_path / "a.yaml").write_text("# kubelint: ignore-file=all\n" + PRIVILEGED)
    assert lint([str(tmp_path)], Config(select=("KS301",))).active == []


def test_huge_quantity_exponent(tmp_path: Path) -> None:
    from kubelint_py.models.quantity import parse_quantity

    assert parse_quantity("1e1000000") is None and parse_quantity("1e-1000000") is None
    assert parse_quantity("1e3") == 1000
    (tmp_path / "pod.yaml").write_text(POD + "    resources:\n      requests: {cpu: 1e1000000, memory: 1Gi}\n"
                                       "      limits: {cpu: '1', memory: 1e1000000}\n")
    report = lint([str(tmp_path)], Config(select=("KS", "KL")))
    assert "KL005" not in _codes(report)


def test_symlinked_compose_override_outside_the_repository_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("services:\n  web:\n    image: SECRET_CONTENT_HERE\n    privileged: true\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "compose.yaml").write_text("services:\n  web:\n    image: web:1.0\n")
    os.symlink(outside / "secret.yaml", repo / "compose.override.yaml")
    report = lint([str(repo / "compose.yaml")])
    read = [f.path for f in [*report.files, *report.context]]
    assert not [p for p in read if p.endswith("compose.override.yaml")], read
    # A real override in the repository is still merged (as context).
    os.unlink(repo / "compose.override.yaml")
    (repo / "compose.override.yaml").write_text("services:\n  web:\n    privileged: true\n")
    report = lint([str(repo / "compose.yaml")])
    assert [f.path for f in report.context if f.path.endswith("compose.override.yaml")]


def test_closed_or_full_standard_output(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    command = [sys.executable, "-m", "kubelint_py", "check", str(tmp_path), "--no-cache"]
    with open("/dev/full", "w") as full:
        result = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot write the report to standard output: No space left on device" in result.stderr
    closed = subprocess.run(" ".join(command) + " >&-", shell=True, stderr=subprocess.PIPE, text=True, timeout=60,
                            check=False)
    assert closed.returncode == 2 and "Traceback" not in closed.stderr and "standard output is closed" in closed.stderr
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # the reader went away (`| head`)
    error = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 1 and "Traceback" not in error
