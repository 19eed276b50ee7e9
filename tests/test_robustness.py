"""Hostile and broken input: one clear finding each, the rest still linted, no crash, no hang, no traceback.

The files are generated in a temporary folder by tests/hostile.py (nothing is copied from elsewhere).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelint_py.api import Report, lint_candidates
from kubelint_py.api import lint as lint_all
from kubelint_py.discovery.walk import Candidate
from kubelint_py.engine.config import Config, parse_size
from kubelint_py.loading import source_file as load
from kubelint_py.parsing.yaml import MAX_DEPTH
from kubelint_py.report import escape_control
from kubelint_py.report.json import render as render_json
from kubelint_py.report.text import render as render_text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile

ROOT = Path(__file__).resolve().parent.parent
LINTED_KINDS = ("dockerfile", "compose", "kubernetes")


# The rules these tests expect findings from; the tool's own KL findings are what is under test. (The
# fuzz tests and test_deep_but_allowed_nesting run every rule.)
SELECT = ("KL", "KS102", "DC101", "DF301")


def lint(paths: list[str], config: Config | None = None) -> Report:
    config = config or Config()
    if not config.select:
        config.select = SELECT
    return lint_all(paths, config)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, hostile.Expect]]:
    # The merely large files at a quarter of their full size (50,000 keys, 5,000 documents, 1.3 MB lines)
    # keep the default run quick; KUBELINT_HOSTILE_SCALE=1 runs them at full size.
    root = tmp_path_factory.mktemp("hostile")
    return root, hostile.build(root, scale=float(os.environ.get("KUBELINT_HOSTILE_SCALE", "0.25")))


def _pairs(report: Report) -> set[tuple[str, int]]:
    return {(f.code, f.location.line) for f in report.active}


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, hostile.Expect]]:
    """The same cases with the merely large files shrunk: for runs over the whole tree."""
    root = tmp_path_factory.mktemp("hostile-small")
    return root, hostile.build(root, scale=0.05)


def _rel(path: str, root: Path, cwd: Path | None = None) -> str:
    """The path relative to root, without resolving links (some of them are loops)."""
    absolute = os.path.abspath(os.path.join(cwd, path) if cwd is not None else path)
    return Path(os.path.relpath(absolute, root)).as_posix()


def _no_internal_errors(report: Report) -> None:
    assert report.internal_errors == []
    assert not [f for f in report.findings if f.code == "KL005"]


HOSTILE_NAMES = sorted([
    "invalid.yaml", "bad-indent.yaml", "list.yaml", "scalar.yaml", "helm/templates/deploy.yaml",
    "template-outside-chart.yaml", "binary.yaml", "latin1.yaml", "utf16.yaml", "bom.yaml", "crlf.yaml", "tabs.yaml",
    "tab-in-value.yaml", "empty.yaml", "comments.yaml", "separators.yaml", "dupkeys.yaml", "laughs.yaml",
    "deep-flow.yaml", "deep-flow-map.yaml", "deep-block-seq.yaml", "deep-block-map.yaml", "long-line.yaml",
    "many-keys.yaml", "many-docs.yaml", "python-tag.yaml", "ansi.yaml", "unknown/Dockerfile",
    "heredoc/Dockerfile", "backslash/Dockerfile", "deep-json/Dockerfile", "long-run/Dockerfile",
    "long-word/Dockerfile", "quotes/Dockerfile", "dollar/Dockerfile", "continuations/Dockerfile",
    "huge.yaml", "broken-link.yaml", "loop-a.yaml", "fifo.yaml", "good/deploy.yaml", "good/noprobe.yaml",
])


def test_every_generated_file_is_covered(tree: tuple[Path, dict[str, hostile.Expect]]) -> None:
    _, expected = tree
    assert set(expected) - {"loop-b.yaml", "helm/Chart.yaml"} <= set(HOSTILE_NAMES)
    assert set(HOSTILE_NAMES) - set(expected) <= {"broken-link.yaml", "loop-a.yaml", "fifo.yaml"}


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_each_hostile_file_alone(tree: tuple[Path, dict[str, hostile.Expect]], name: str) -> None:
    root, expected = tree
    if name not in expected:
        pytest.skip("not supported on this platform (symlinks or FIFOs)")
    report = lint([str(root / name)])
    _no_internal_errors(report)
    assert _pairs(report) == set(expected[name].findings), [(f.code, f.location.line, f.message)
                                                            for f in report.active]
    for finding in report.active:
        assert finding.location.path.endswith(name)
        assert finding.location.line >= 1 and finding.location.column >= 1
        assert "\n" not in finding.message
    assert bool(report.linted_files) == expected[name].linted
    # Reporters take whatever came out.
    assert "Traceback" not in render_text(report)
    json.loads(render_json(report))


def test_whole_hostile_tree_lints_every_good_file(small_tree: tuple[Path, dict[str, hostile.Expect]]) -> None:
    root, expected = small_tree
    report = lint([str(root)])
    _no_internal_errors(report)
    got = {(_rel(f.location.path, root), f.code, f.location.line) for f in report.active}
    want = {(name, code, line) for name, exp in expected.items() for code, line in exp.findings}
    assert got == want
    linted = {_rel(f.path, root) for f in report.linted_files}
    assert linted == {name for name, exp in expected.items() if exp.linted}
    assert report.failed


def test_cli_over_hostile_tree_and_fixtures(small_tree: tuple[Path, dict[str, hostile.Expect]]) -> None:
    root, expected = small_tree
    result = _run("check", str(root), str(ROOT / "fixtures"), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    paths = {_rel(f["location"]["path"], root, ROOT) for f in document["findings"]}
    assert {name for name, exp in expected.items() if exp.findings} <= paths
    assert not [f for f in document["findings"] if f["code"] == "KL005"]
    text = _run("check", str(root))
    assert text.returncode == 1 and text.stderr == ""
    assert "Traceback" not in text.stdout and "\x1b" not in text.stdout
    assert "fifo.yaml:1:1: KL003" in text.stdout
    assert _run("check", str(root / "invalid.yaml"), "--fail-on", "none").returncode == 0


def _run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    if args and args[0] == "check" and "--select" not in args:
        args = (*args, *(part for code in SELECT for part in ("--select", code)))
    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300, check=False)


# --- one case at a time, where the tree cannot show it -------------------------------------------------


def test_crlf_dockerfile_lines_stay_right(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"FROM alpine:3.20\r\nRUN echo a \\\r\n  b\r\nFROM debian:latest\r\n")
    report = lint([str(tmp_path)], Config(select=("DF301",)))
    assert _pairs(report) == {("DF301", 4)}


def test_size_cap_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(hostile.NO_PROBE)
    assert _pairs(lint([str(path)], Config(max_file_size=100))) == {("KL003", 1)}
    assert _pairs(lint([str(path)], Config(max_file_size=parse_size("1KB")))) == {("KS102", hostile.NO_PROBE_LINE)}
    result = _run("check", str(path), "--max-file-size", "100")
    assert result.returncode == 1 and "over the 100 bytes limit" in result.stdout
    assert _run("check", str(path), "--max-file-size", "lots").returncode == 2


@pytest.mark.parametrize(("text", "size"), [("10MB", 10 << 20), ("512k", 512 << 10), ("2048", 2048)])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so permission denied is simulated at the os.open call.
    secret = tmp_path / "secret.yaml"
    secret.write_text(hostile.NO_PROBE)
    (tmp_path / "other.yaml").write_text(hostile.NO_PROBE)
    real_open = os.open

    def deny(path: str, *args: int) -> int:
        if Path(path).name == "secret.yaml":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args)

    monkeypatch.setattr(load.os, "open", deny)
    report = lint([str(tmp_path)])
    by_file = {(Path(f.location.path).name, f.code, f.location.line) for f in report.active}
    assert by_file == {("secret.yaml", "KL003", 1), ("other.yaml", "KS102", hostile.NO_PROBE_LINE)}
    [unreadable] = [f for f in report.active if f.code == "KL003"]
    assert "Permission denied" in unreadable.message


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_for_real(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(hostile.NO_PROBE)
    secret.chmod(0)
    try:
        result = _run("check", str(tmp_path))
    finally:
        secret.chmod(0o644)
    assert result.returncode == 1 and "KL003" in result.stdout and "Traceback" not in result.stderr


def test_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    folder = tmp_path / "deploy.yaml"
    folder.mkdir()
    # Handed to the loader as a file (e.g. it was swapped for a folder after discovery): one finding.
    report = lint_candidates([Candidate(str(folder), "yaml", True)], Config())
    assert [(f.code, f.message) for f in report.active] == [("KL003", "is a directory where a file was expected")]
    # Named on the command line, a folder is walked (whatever its name): what is inside is linted.
    (folder / "inner.yaml").write_text(hostile.NO_PROBE)
    assert {f.code for f in lint([str(folder)]).active} == {"KS102"}
    # As --output, it is a usage error, not a traceback.
    result = _run("check", str(ROOT / "fixtures" / "demo"), "--output", str(folder))
    assert result.returncode == 2 and "is a folder" in result.stderr and "Traceback" not in result.stderr


def test_a_loader_bug_costs_one_file_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text(hostile.NO_PROBE)
    (tmp_path / "b.yaml").write_text(hostile.NO_PROBE)
    real = load._add_resources

    def buggy(source: load.SourceFile, *args: object) -> None:
        if source.path.endswith("a.yaml"):
            raise RecursionError("maximum recursion depth exceeded")
        real(source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "_add_resources", buggy)
    report = lint([str(tmp_path)])
    assert sorted((Path(f.location.path).name, f.code) for f in report.active) == [
        ("a.yaml", "KL005"), ("b.yaml", "KS102")]


def test_deeply_nested_folders_do_not_end_the_run(tmp_path: Path) -> None:
    (tmp_path / "top.yaml").write_text(hostile.NO_PROBE)
    here = tmp_path
    try:
        for _ in range(1200):  # os.walk recurses once per level on Python 3.11
            here = here / "d"
            os.mkdir(here)  # one level at a time: Path.mkdir(parents=True) recurses too
    except OSError:
        pytest.skip("the file system refuses paths this long")
    try:
        (here / "deep.yaml").write_text(hostile.NO_PROBE)
        report = lint([str(tmp_path)])
        assert sorted((Path(f.location.path).name, f.code) for f in report.active) == [
            ("deep.yaml", "KS102"), ("top.yaml", "KS102")]
    finally:  # bottom-up, one level at a time: shutil.rmtree (pytest's clean-up) recurses on 3.11
        (here / "deep.yaml").unlink(missing_ok=True)
        while here != tmp_path:
            here.rmdir()
            here = here.parent


def test_unlistable_folder_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubelint_py.discovery import walk as discover

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "deploy.yaml").write_text(hostile.NO_PROBE)
    (tmp_path / "open.yaml").write_text(hostile.NO_PROBE)
    real_scandir = os.scandir

    def deny(path: object) -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(discover.os, "scandir", deny)
    report = lint([str(tmp_path)])
    assert sorted((Path(f.location.path).name, f.code) for f in report.active) == [
        ("locked", "KL003"), ("open.yaml", "KS102")]
    assert "Permission denied" in next(f.message for f in report.active if f.code == "KL003")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_dockerignore_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nCOPY . /app\n")
    os.mkfifo(tmp_path / ".dockerignore")
    os.mkfifo(tmp_path / "Dockerfile.dockerignore")
    result = _run("check", str(tmp_path), "--select", "ALL")  # a hang ends in subprocess's timeout
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr


def test_broken_paths_named_on_the_command_line(small_tree: tuple[Path, dict[str, hostile.Expect]],
                                                tmp_path: Path) -> None:
    root, expected = small_tree
    names = [n for n in ("loop-a.yaml", "broken-link.yaml", "fifo.yaml", "binary.yaml") if n in expected]
    baseline = tmp_path / "baseline.json"
    for extra in ([], ["--write-baseline", str(baseline)]):
        result = _run("check", *names, "good/noprobe.yaml", *extra, cwd=root)
        assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    result = _run("check", *names, "good/noprobe.yaml", "--baseline", str(baseline), cwd=root)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stdout + result.stderr
    result = _run("check", *names, "good/noprobe.yaml", cwd=root)
    assert result.returncode == 1
    for name in names:
        assert f"{name}:1:1: KL003" in result.stdout
    assert f"good/noprobe.yaml:{hostile.NO_PROBE_LINE}:" in result.stdout


def test_missing_path_named_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(hostile.GOOD_DEPLOYMENT)
    result = _run("check", str(tmp_path / "nope.yaml"), str(tmp_path))
    assert result.returncode == 1 and "nope.yaml:1:1: KL003" in result.stdout


def test_deep_but_allowed_nesting_goes_through_every_rule_and_reporter(tmp_path: Path) -> None:
    depth = MAX_DEPTH - 12
    deep = "[" * depth + "]" * depth
    deep_map = "{a: " * depth + "1" + "}" * depth
    (tmp_path / "deploy.yaml").write_text(
        hostile.NO_PROBE.replace("image: web:1.0.0", f"image: web:1.0.0\n          args: {deep}\n"
                                 f"          x-deep: {deep_map}")
        + f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, annotations: {{a: b}}}}\ndata: {deep_map}\n"
        + f"---\napiVersion: example.com/v1\nkind: Thing\nmetadata: {{name: t}}\nspec: {deep}\n")
    (tmp_path / "compose.yaml").write_text(f"services:\n  web:\n    image: web:1\n    x-deep: {deep_map}\n"
                                           f"    command: {deep}\n    environment: {deep_map}\n")
    report = lint_all([str(tmp_path)], Config(extend_select=("ALL",)))
    _no_internal_errors(report)
    assert ("KS102", hostile.NO_PROBE_LINE) in _pairs(report)
    assert not [f for f in report.active if f.code == "KL001"]
    render_text(report)
    json.loads(render_json(report))


def test_node_budget_bounds_time_and_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Real manifests have 20,000-40,000 nodes per MB; `[a,a,a,...]` has 500,000. The budget (1,000,000
    # by default) is lowered here so the test stays small.
    monkeypatch.setattr(load, "MAX_NODES", 1000)
    (tmp_path / "flood.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: ["
                                         + ",".join(["a"] * 2000) + "]}\n")
    (tmp_path / "ok.yaml").write_text(hostile.NO_PROBE)
    report = lint([str(tmp_path)])
    assert sorted((Path(f.location.path).name, f.code, f.location.line) for f in report.active) == [
        ("flood.yaml", "KL003", 1), ("ok.yaml", "KS102", hostile.NO_PROBE_LINE)]
    assert "more than 1,000 YAML nodes" in report.active[0].message
    # A larger size cap raises the budget with it.
    assert _pairs(lint([str(tmp_path / "flood.yaml")], Config(max_file_size=100 * 1024 * 1024))) == set()


def test_dockerfile_line_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_DOCKERFILE_LINES", 50)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text("FROM debian:latest\n" + "RUN true\n" * 60)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text("FROM debian:latest\n")
    report = lint([str(tmp_path)], Config(select=("KL", "DF301")))
    assert sorted((_rel(f.location.path, tmp_path), f.code, f.location.line) for f in report.active) == [
        ("a/Dockerfile", "KL003", 1), ("b/Dockerfile", "DF301", 1)]


def test_shell_analysis_is_bounded() -> None:
    from kubelint_py.parsing.shell import MAX_COMMANDS, split_commands

    commands = split_commands("echo a && " * (MAX_COMMANDS + 500) + "true")
    assert MAX_COMMANDS <= len(commands) <= MAX_COMMANDS + 1
    assert [c.words for c in split_commands("a && b; c")] == [("a",), ("b",), ("c",)]


def test_many_broken_documents_stay_linear_and_later_ones_are_linted(tmp_path: Path) -> None:
    text = "".join("---\nbad: [\n" for _ in range(2000)) + "---\n" + hostile.NO_PROBE
    (tmp_path / "many.yaml").write_text(text)
    report = lint([str(tmp_path)])
    assert ("KS102", 4000 + 1 + hostile.NO_PROBE_LINE) in _pairs(report)
    assert sum(1 for f in report.active if f.code == "KL001") == 2000


# --- security ------------------------------------------------------------------------------------------


def test_yaml_tags_never_construct_objects(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n"
        "  a: !!python/object/apply:os.system ['touch pwned']\n"
        "  b: !!python/object/new:subprocess.Popen [['touch', 'pwned2']]\n"
        "  c: !!python/name:os.system ''\n")
    result = _run("check", str(tmp_path), "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1) and result.stderr == ""
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    report = lint([str(tmp_path / "cm.yaml")])
    [resource] = report.files[0].resources
    data = resource.body["data"]
    assert all(isinstance(v, str | list) for v in data.values()), data
    assert data["c"] == ""


def test_environment_is_never_expanded(tmp_path: Path) -> None:
    # Names that messages echo (compose service keys and container names are never interpolated).
    (tmp_path / "compose.yaml").write_text(
        'services:\n  "${HOME}":\n    image: "web:${KUBELINT_TEST_SECRET}"\n'
        '    depends_on: [missing, "$KUBELINT_TEST_SECRET"]\n')
    (tmp_path / "deploy.yaml").write_text(hostile.NO_PROBE.replace("- name: web", "- name: $KUBELINT_TEST_SECRET"))
    env = {"HOME": "/home/home-was-expanded", "KUBELINT_TEST_SECRET": "secret-was-expanded"}
    result = _run("check", str(tmp_path), cwd=tmp_path, env=env)
    assert "service '${HOME}' depends on 'missing'" in result.stdout
    assert "container '$KUBELINT_TEST_SECRET'" in result.stdout
    assert "was-expanded" not in result.stdout + result.stderr
    as_json = _run("check", str(tmp_path), "--format", "json", cwd=tmp_path, env=env)
    assert "was-expanded" not in as_json.stdout


def test_text_output_escapes_file_names_and_content(tmp_path: Path) -> None:
    evil_name = "\x1b[2J\x1b]0;owned\x07evil\nfake.yaml"
    try:
        (tmp_path / evil_name).write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n")
    except OSError:
        pytest.skip("the file system refuses control characters in names")
    # Double-quoted YAML escapes put real control characters into keys: a duplicate key echoes one.
    (tmp_path / "keys.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n'
        '  "\\e]0;owned\\a\\nkeys.yaml:1:1: KS000 forged": a\n'
        '  "\\e]0;owned\\a\\nkeys.yaml:1:1: KS000 forged": b\n')
    result = _run("check", str(tmp_path))
    assert result.returncode == 1
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x1b]0;owned\\x07evil\\nfake.yaml:4:1: KL001" in out
    assert "KL004" in out and "\\x1b]0;owned\\x07\\nkeys.yaml:1:1: KS000 forged" in out
    # One line per finding (plus its related location and the summary): nothing forged a line.
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith(("keys.yaml", "fake.yaml"))]
    # Machine formats carry the exact text through a JSON serialiser.
    document = json.loads(_run("check", str(tmp_path), "--format", "json").stdout)
    assert any(Path(f["location"]["path"]).name == evil_name for f in document["findings"])
    assert any("\x1b]0;owned\x07" in f["message"] for f in document["findings"])


def test_json_output_is_terminal_safe_and_exact() -> None:
    from kubelint_py.report import terminal_safe_json

    text = json.dumps({"m": "a\x1b[2J\x9b31m\u202eb\u2028c é"}, ensure_ascii=False)
    safe = terminal_safe_json(text)
    assert json.loads(safe) == json.loads(text)
    assert not any(c in safe for c in "\x1b\x9b\u202e\u2028") and "é" in safe


def test_escape_control() -> None:
    assert escape_control("a\x1b[31mb\x9b1m\u202ec\nd\re\tf é") == "a\\x1b[31mb\\x9b1m\\u202ec\\nd\\re\tf é"


def test_sarif_is_valid_json_when_available(tmp_path: Path) -> None:
    pytest.importorskip("kubelint_py.report.sarif")
    (tmp_path / "keys.yaml").write_text('a: 1\n"\\e[2J\\u202E\\x9b": 1\n"\\e[2J\\u202E\\x9b": 2\n')
    result = _run("check", str(tmp_path), "--format", "sarif")
    assert not any(c in result.stdout for c in "\x1b\u202e\x9b")
    log = json.loads(result.stdout)
    # The message keeps the key's characters; `[` is escaped because SARIF message text carries links.
    assert any("\x1b\\[2J\u202e\x9b" in r["message"]["text"] for r in log["runs"][0]["results"])


def _tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_check_never_modifies_linted_files(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "deploy.yaml").write_text(hostile.NO_PROBE.replace("\n", "\r\n"))
    (tree / "compose.yaml").write_text("services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    (tree / "Dockerfile").write_text("FROM debian:latest\nRUN echo hi \\\n")
    (tree / "dup.yaml").write_text("a: 1\na: 2\n")
    before = _tree_hash(tree)
    names_before = sorted(p.name for p in tree.rglob("*"))
    out = tmp_path / "report.json"
    result = _run("check", str(tree), "--format", "text", "--format", f"json:{out}")
    assert result.returncode == 1
    assert _tree_hash(tree) == before
    assert sorted(p.name for p in tree.rglob("*")) == names_before  # no caches or temp files left behind
    assert json.loads(out.read_text())["summary"]["failed"] is True


def test_output_never_overwrites_a_linted_file(tmp_path: Path) -> None:
    target = tmp_path / "deploy.yaml"
    target.write_text(hostile.NO_PROBE)
    before = target.read_bytes()
    for args in (["--output", str(target)], ["--format", f"json:{target}"]):
        result = _run("check", str(tmp_path), *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "one of the linted files" in result.stderr
        assert target.read_bytes() == before
    # Through a symbolic link too.
    if hasattr(os, "symlink"):
        os.symlink(target, tmp_path / "report.txt")
        assert _run("check", str(target), "--output", str(tmp_path / "report.txt")).returncode == 2
        assert target.read_bytes() == before
    # And through a hard link (another name, the same file).
    if hasattr(os, "link"):
        os.link(target, tmp_path / "report.log")
        assert _run("check", str(target), "--output", str(tmp_path / "report.log")).returncode == 2
        assert target.read_bytes() == before


def test_output_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.json"
    out.parent.mkdir()
    out.write_text("old")
    result = _run("check", str(ROOT / "fixtures" / "demo"), "--format", f"json:{out}")
    assert result.returncode == 1
    json.loads(out.read_text())
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]  # no temporary file left


def _symlink_or_skip(target: Path, link: Path) -> None:
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError):
        pytest.skip("symbolic links are not available")


def test_links_out_of_the_linted_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "deploy.yaml").write_text(hostile.NO_PROBE)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "good.yaml").write_text(hostile.GOOD_DEPLOYMENT)
    _symlink_or_skip(outside / "deploy.yaml", tree / "link.yaml")
    _symlink_or_skip(outside, tree / "linked-dir")
    _symlink_or_skip(Path("/etc/hostname"), tree / "etc.yaml")
    report = lint([str(tree)])
    assert report.active == []
    assert [Path(f.path).name for f in report.files] == ["good.yaml"]
    # A link inside the tree to a file inside it is linted once.
    _symlink_or_skip(tree / "good.yaml", tree / "again.yaml")
    assert len(lint([str(tree)]).files) == 1


def test_files_named_in_compose_files_outside_the_linted_tree_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM alpine:3.20\nSECRET_CONTENT_HERE x\n")
    (outside / "compose.yaml").write_text("services:\n  base:\n    image: x:1\n    depends_on: [nope]\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".git").mkdir()  # the repository boundary
    (tree / "compose.yaml").write_text(
        "services:\n  web:\n    build: {context: ../outside}\n"
        "  other:\n    extends: {file: ../outside/compose.yaml, service: base}\n"
        "  third:\n    extends: {file: ../outside/Dockerfile, service: base}\n")
    result = _run("check", str(tree), "--format", "json", "--select", "ALL")
    assert "SECRET_CONTENT_HERE" not in result.stdout + result.stderr
    assert "outside" not in {Path(f["location"]["path"]).parent.name for f in json.loads(result.stdout)["findings"]}
    # Inside the repository they are followed.
    (tree / "web").mkdir()
    (tree / "web" / "Dockerfile").write_text("FROM alpine:3.20\nINSIDE_CONTENT x\n")
    (tree / "compose.yaml").write_text("services:\n  web:\n    build: {context: ./web}\n")
    assert "INSIDE_CONTENT" in _run("check", str(tree / "compose.yaml"), "--no-project",
                                    "--select", "KL001").stdout


def test_symlink_loop_is_one_finding(tmp_path: Path) -> None:
    _symlink_or_skip(tmp_path / "b.yaml", tmp_path / "a.yaml")
    _symlink_or_skip(tmp_path / "a.yaml", tmp_path / "b.yaml")
    (tmp_path / "ok.yaml").write_text(hostile.NO_PROBE)
    report = lint([str(tmp_path)])
    assert sorted((Path(f.location.path).name, f.code) for f in report.active) == [
        ("a.yaml", "KL003"), ("b.yaml", "KL003"), ("ok.yaml", "KS102")]
    assert all("loop" in f.message for f in report.active if f.code == "KL003")

