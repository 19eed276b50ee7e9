"""`check -` and --stdin-filename, --no-respect-gitignore, the "no files" warning, FORCE_COLOR and the
progress line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubelint_py.cli import progress
from kubelint_py.report.text import use_colour
from tests.cli_support import Result, invoke
from tests.in_memory_support import DEPLOYMENT, SECRET

ROOT = Path(__file__).resolve().parent.parent


def _with_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes, args: list[str]) -> Result:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    return invoke(args)


def test_dash_lints_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _with_stdin(monkeypatch, b"FROM python:latest\nUSER app\n", ["check", "-"])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("-:1:1: DF301 ")
    (tmp_path / "-").write_text("not read\n")  # a file named "-" is not what `-` means
    result = _with_stdin(monkeypatch, b"services:\n  a:\n    image: x:1\n    depends_on: [b]\n",
                         ["check", "-", "--format", "json"])
    assert '"code": "DC101"' in result.stdout and '"path": "-"' in result.stdout


def test_stdin_filename_gives_format_path_configuration_and_project(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "secret.yaml").write_text(SECRET)
    (tmp_path / ".kubelint.yaml").write_text("per-path-ignores:\n  k8s/**: [KS101]\n")
    monkeypatch.chdir(tmp_path)
    text = DEPLOYMENT.encode()
    result = _with_stdin(monkeypatch, text, ["check", "-", "--stdin-filename", "k8s/deploy.yaml"])
    # The findings, then the summary (which starts "Found"; a line on fixable findings may follow it).
    lines = result.stdout.split("\nFound ")[0].splitlines()
    assert lines and all(line.startswith("k8s/deploy.yaml:") for line in lines), result.output
    codes = {line.split()[1] for line in lines}
    assert "KS603" not in codes, "the Secret in the project on the disk is found (project context)"
    assert "KS101" not in codes and "KS102" in codes, "per-path-ignores match the given name"
    # No path at all with --stdin-filename also reads standard input; a missing Secret is then reported.
    broken = text.replace(b"web-secrets", b"web-secret")
    result = _with_stdin(monkeypatch, broken, ["check", "--stdin-filename", "k8s/deploy.yaml"])
    assert "k8s/deploy.yaml:13:" in result.stdout and "KS603" in result.stdout
    # The name decides the format: a Dockerfile.
    result = _with_stdin(monkeypatch, b"FROM python:latest\nUSER app\n",
                         ["check", "--stdin-filename", "build/Dockerfile"])
    assert result.stdout.startswith("build/Dockerfile:1:1: DF301 ")


def test_stdin_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "must be the only path" in _with_stdin(monkeypatch, b"", ["check", "-", "x.yaml"]).stderr
    result = _with_stdin(monkeypatch, b"", ["check", "x.yaml", "--stdin-filename", "a.yaml"])
    assert result.exit_code == 2 and "give '-' as the only path" in result.stderr
    assert "is a folder" in _with_stdin(monkeypatch, b"", ["check", "-", "--stdin-filename", "."]).stderr


def test_stdin_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kubelint_py", "check", "-", "--stdin-filename", "Dockerfile"],
                          input=b"FROM python:latest\nUSER app\n", cwd=tmp_path, env=env, capture_output=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode().startswith("Dockerfile:1:1: DF301 ")


def test_no_respect_gitignore_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "Dockerfile").write_text("FROM python:latest\nUSER app\n")
    monkeypatch.chdir(tmp_path)
    quiet = invoke(["check", "."])
    assert quiet.exit_code == 0 and "DF301" not in quiet.stdout
    loud = invoke(["check", ".", "--no-respect-gitignore"])
    assert loud.exit_code == 1 and "generated/Dockerfile:1:1: DF301" in loud.stdout


def test_no_files_is_a_warning_and_exit_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.yaml").write_text("title: not a manifest\n")
    monkeypatch.chdir(tmp_path)
    result = invoke(["check", "docs"])
    assert result.exit_code == 0
    assert "kubelint-py: warning: no Dockerfile, compose or Kubernetes files under docs" in result.stderr
    assert "warning" not in invoke(["check", "docs", "--quiet"]).stderr
    (tmp_path / "docs" / "Dockerfile").write_text("FROM scratch\n")
    assert "no Dockerfile" not in invoke(["check", "docs"]).stderr


def test_force_color(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert use_colour(pipe) is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_colour(pipe) is True
    monkeypatch.setenv("FORCE_COLOR", "")
    assert use_colour(pipe) is False, "an empty FORCE_COLOR does not count"
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(pipe) is False, "NO_COLOR wins"


def test_force_color_reaches_the_text_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nUSER app\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in invoke(["check", "Dockerfile"]).stdout
    monkeypatch.delenv("FORCE_COLOR")
    assert "\x1b[" not in invoke(["check", "Dockerfile"]).stdout


def test_progress_line_only_at_a_terminal_outside_ci() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.wanted(io.StringIO(), {}) is False, "not a terminal"
    assert progress.wanted(Tty(), {"CI": "true"}) is False, "never in CI"
    assert progress.wanted(Tty(), {"TERM": "dumb"}) is False
    assert progress.wanted(Tty(), {}) is True


def test_progress_line_appears_after_the_delay_and_disappears() -> None:
    read, write = os.pipe()
    try:
        with progress.Progress(True, fd=write, delay=0.05) as shown:
            shown.update("loading 3 files")
            deadline = time.monotonic() + 5
            while not shown.shown and time.monotonic() < deadline:
                time.sleep(0.01)
        os.close(write)
        written = os.read(read, 65536).decode()
    finally:
        os.close(read)
    assert written.startswith("\r\x1b[2Kkubelint-py: loading 3 files (")
    assert written.endswith("\r\x1b[2K"), "erased at the end"
    quick_read, quick_write = os.pipe()
    with progress.Progress(True, fd=quick_write, delay=5):
        pass  # a run shorter than the delay shows nothing
    os.close(quick_write)
    assert os.read(quick_read, 100) == b""
    os.close(quick_read)


def test_progress_off_the_main_thread_is_silent() -> None:
    import threading

    outcome: list[bool] = []

    def run() -> None:
        with progress.Progress(True, delay=0.01) as shown:
            outcome.append(shown.enabled)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert outcome == [False]
