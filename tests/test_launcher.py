"""The console script parses plain `check` command lines itself (no typer import): the same options as
the typer command, the same results, and typer for everything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from kubelint_py.cli import app as cli
from kubelint_py.cli import check as check_command
from kubelint_py.cli import launcher
from kubelint_py.cli.check import CheckOptions

ROOT = Path(__file__).resolve().parent.parent


def _check_command() -> Any:
    """The click command typer builds (typer may vendor click, so it is used by its attributes)."""
    return typer.main.get_command(cli.app).commands["check"]  # type: ignore[attr-defined]


def test_option_table_matches_the_typer_command() -> None:
    expected: dict[str, tuple[str, str]] = {}
    for param in _check_command().params:
        if param.param_type_name == "argument":
            assert param.name == "paths" and param.nargs == -1
            continue
        assert param.param_type_name == "option"
        kind = launcher.FLAG if param.is_flag else launcher.MULTIPLE if param.multiple else launcher.VALUE
        assert not param.secondary_opts, f"{param.name}: --no-... forms are not parsed by the launcher"
        for option in param.opts:
            expected[option] = (param.name, kind)
    assert expected == launcher.CHECK_OPTIONS


def test_options_dataclass_matches_the_typer_command() -> None:
    names = {param.name for param in _check_command().params}
    assert set(CheckOptions._fields) == names


def _through_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> CheckOptions:
    seen: list[CheckOptions] = []

    def capture(options: CheckOptions) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(check_command, "run_check", capture)
    result = CliRunner().invoke(cli.app, ["check", *args])
    assert result.exit_code == 0, result.output
    return seen[0]


@pytest.mark.parametrize("args", [
    [],
    ["."],
    ["a.yaml", "b/", "--no-cache"],
    ["--format", "sarif:out.sarif", "-f", "text", "-o", "x.txt", "k8s"],
    ["--select", "KS1", "--select=KS2", "--ignore", "KS101", "--extend-select", "KS113", "--exclude", "*.j2"],
    ["--fail-on", "error", "--namespace", "prod", "--k8s-version", "1.29", "--config", "c.yaml", "x"],
    ["--no-config", "--show-config", "--quiet", "-q", "--sarif-all-rules", "--sarif-suppressed", "--debug"],
    ["--baseline", "b.json", "--write-baseline", "w.json", "--max-file-size", "1MB"],
    ["--project-root", ".", "--no-project", "--", "--odd-name.yaml", "-"],
    ["--output", "first", "--output", "second"],
    ["--format=json", "--fail-on=none", "dir"],
])
def test_fast_parse_gives_what_typer_gives(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = launcher.parse_check(args)
    assert fast is not None
    assert fast == _through_typer(args, monkeypatch)


@pytest.mark.parametrize("args", [
    ["--help"], ["-h"], ["--unknown"], ["--quiet=yes"], ["-fjson"], ["-qf", "json"], ["--format"],
    ["--format", "--quiet"], ["--version"],
])
def test_anything_else_goes_to_typer(args: list[str]) -> None:
    assert launcher.parse_check(args) is None


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_fast_path_does_not_import_typer_and_matches_typer_output(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                                       "  containers:\n  - name: c\n    image: nginx\n")
    probe = ("import sys, runpy\nsys.argv = ['kubelint-py', 'check', 'pod.yaml', '--no-cache', '-q']\n"
             "import kubelint_py.cli.check as c\n"
             "real = c.run_check\n"
             "def spy(options):\n"
             "    code = real(options)\n"
             "    print('TYPER' if 'typer' in sys.modules else 'NO-TYPER', file=sys.stderr)\n"
             "    return code\n"
             "import kubelint_py.cli.launcher as l\nl.run_check = spy\nl.main()\n")
    fast = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "NO-TYPER" in fast.stderr, fast.stderr
    # the same command line made unusual enough for typer to parse it
    via_typer = _run(["check", "pod.yaml", "--no-cache", "-q", "-ftext"], tmp_path)
    assert via_typer.returncode == fast.returncode == 1
    assert via_typer.stdout == fast.stdout and "pod.yaml:8:12: KS201" in fast.stdout


def test_usage_errors_are_the_same_on_both_paths(tmp_path: Path) -> None:
    fast = _run(["check", ".", "--fail-on", "sometimes"], tmp_path)
    typer_path = _run(["check", ".", "--fail-on", "sometimes", "--format=text", "-fjson"], tmp_path)
    assert fast.returncode == 2 and fast.stderr.startswith("kubelint-py: error: --fail-on:")
    assert typer_path.returncode == 2 and "kubelint-py: error: --fail-on:" in typer_path.stderr


def test_help_and_unknown_options_still_come_from_typer(tmp_path: Path) -> None:
    helped = _run(["check", "--help"], tmp_path)
    assert helped.returncode == 0 and "--project-root" in helped.stdout
    unknown = _run(["check", "--frobnicate"], tmp_path)
    assert unknown.returncode == 2 and "No such option" in unknown.stderr
