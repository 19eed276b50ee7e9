"""The one command-line parser (kubelint_py.cli.app, argparse): every option of `check` reaches
CheckOptions, paths and options mix in any order, help on every command, usage errors exit 2, and the
console script imports no CLI framework."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelint_py import __version__
from kubelint_py.cli import app
from kubelint_py.cli.app import COMMANDS, command_parser, parse_check, top_parser
from kubelint_py.cli.check import CheckOptions
from tests.cli_support import invoke

ROOT = Path(__file__).resolve().parent.parent


def test_check_parser_fills_exactly_the_fields_of_check_options() -> None:
    parser = command_parser("check")
    dests = {action.dest for action in parser._actions if not isinstance(action, argparse._HelpAction)}
    assert dests == set(CheckOptions._fields)


def test_every_option_is_documented_and_has_one_spelling_per_name() -> None:
    for parser in (top_parser(), *map(command_parser, COMMANDS)):
        spellings: list[str] = []
        for action in parser._actions:
            assert action.help, f"{parser.prog}: {action.dest} has no help"
            spellings.extend(action.option_strings)
        assert "-h" in spellings and "--help" in spellings
        assert len(spellings) == len(set(spellings))


@pytest.mark.parametrize(("args", "expected"), [
    ([], CheckOptions()),
    (["."], CheckOptions(paths=["."])),
    (["a.yaml", "--no-cache", "b/"], CheckOptions(paths=["a.yaml", "b/"], no_cache=True)),
    (["--format", "sarif:out.sarif", "-f", "text", "-o", "x.txt", "k8s"],
     CheckOptions(paths=["k8s"], format=["sarif:out.sarif", "text"], output="x.txt")),
    (["--select", "KS1", "--select=KS2", "--ignore", "KS101", "--extend-select", "KS113", "--exclude", "*.j2"],
     CheckOptions(select=["KS1", "KS2"], ignore=["KS101"], extend_select=["KS113"], exclude=["*.j2"])),
    (["--fail-on", "error", "--namespace", "prod", "--k8s-version", "1.29", "--config", "c.yaml", "x"],
     CheckOptions(paths=["x"], fail_on="error", namespace="prod", k8s_version="1.29", config_file="c.yaml")),
    (["--no-config", "--show-config", "--quiet", "-q", "--sarif-all-rules", "--sarif-suppressed", "--debug"],
     CheckOptions(no_config=True, show_config=True, quiet=True, sarif_all_rules=True, sarif_suppressed=True,
                  debug=True)),
    (["--baseline", "b.json", "--write-baseline", "w.json", "--max-file-size", "1MB"],
     CheckOptions(baseline="b.json", write_baseline="w.json", max_file_size="1MB")),
    (["--project-root", ".", "--no-project", "--", "--odd-name.yaml", "-"],
     CheckOptions(paths=["--odd-name.yaml", "-"], project_root=".", no_project=True)),
    (["a", "--", "b", "--quiet"], CheckOptions(paths=["a", "b", "--quiet"])),
    (["--output", "first", "--output", "second"], CheckOptions(output="second")),
    (["--format=json", "--fail-on=none", "dir"], CheckOptions(paths=["dir"], format=["json"], fail_on="none")),
    (["-fjson", "-qf", "text", "-"], CheckOptions(paths=["-"], format=["json", "text"], quiet=True)),
    (["-", "--stdin-filename", "k8s/a.yaml", "--no-respect-gitignore"],
     CheckOptions(paths=["-"], stdin_filename="k8s/a.yaml", no_respect_gitignore=True)),
])
def test_check_options(args: list[str], expected: CheckOptions) -> None:
    assert parse_check(args) == expected


@pytest.mark.parametrize("args", [
    ["--unknown"], ["--quiet=yes"], ["--format"], ["--format", "--quiet"], ["--no-c"], ["--version"],
])
def test_check_usage_errors_exit_2(args: list[str]) -> None:
    result = invoke(["check", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("kubelint-py check: error: ")
    assert "Try 'kubelint-py check --help' for help." in result.stderr


@pytest.mark.parametrize("command", [[], ["check"], ["rules"], ["explain"], ["init"]])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_on_every_command(command: list[str], flag: str) -> None:
    result = invoke([*command, flag])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith(f"usage: kubelint-py {' '.join(command)}".rstrip())
    if command == ["check"]:
        assert "--project-root DIR" in result.stdout and "--no-cache" in result.stdout


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str) -> None:
    assert invoke([flag]) == (0, f"kubelint-py {__version__}\n", "", f"kubelint-py {__version__}\n")


def test_no_command_shows_the_overview_and_exits_2() -> None:
    result = invoke([])
    assert result.exit_code == 2 and result.stdout == ""
    assert "check" in result.stderr and "explain" in result.stderr
    unknown = invoke(["lint"])
    assert unknown.exit_code == 2 and "invalid choice: 'lint'" in unknown.stderr


def test_other_commands_usage_errors() -> None:
    assert invoke(["explain"]).exit_code == 2
    assert invoke(["explain", "a", "b"]).exit_code == 2
    assert invoke(["rules", "--format", "xml"]) == (2, "", "kubelint-py: error: rules --format takes text or json\n",
                                                    "kubelint-py: error: rules --format takes text or json\n")
    assert invoke(["init", "a", "b"]).exit_code == 2


def test_check_usage_error_from_run_check(monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(["check", ".", "--fail-on", "sometimes"])
    assert result.exit_code == 2 and result.stderr.startswith("kubelint-py: error: --fail-on:")
    seen: list[CheckOptions] = []

    def capture(options: CheckOptions) -> int:
        seen.append(options)
        return 7

    monkeypatch.setattr("kubelint_py.cli.check.run_check", capture)
    assert app.run(["check", "x", "-q"]) == 7
    assert seen == [CheckOptions(paths=["x"], quiet=True)]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kubelint_py", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_console_script_output_and_no_cli_framework_imported(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                                       "  containers:\n  - name: c\n    image: nginx\n")
    probe = ("import sys\nsys.argv = ['kubelint-py', 'check', 'pod.yaml', '--no-cache', '-q']\n"
             "import kubelint_py.cli.check as c\n"
             "real = c.run_check\n"
             "def spy(options):\n"
             "    code = real(options)\n"
             "    heavy = sorted({'typer', 'click', 'rich'} & set(sys.modules))\n"
             "    print('IMPORTED', heavy, file=sys.stderr)\n"
             "    return code\n"
             "c.run_check = spy\n"
             "import kubelint_py.cli.launcher as l\nl.main()\n")
    probed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "IMPORTED []" in probed.stderr, probed.stderr
    plain = _run(["check", "pod.yaml", "--no-cache", "-q"], tmp_path)
    assert plain.returncode == probed.returncode == 1
    assert plain.stdout == probed.stdout and "pod.yaml:8:12: KS201" in plain.stdout
    unknown = _run(["check", "--frobnicate"], tmp_path)
    assert unknown.returncode == 2 and "unrecognized arguments: --frobnicate" in unknown.stderr
