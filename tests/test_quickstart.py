"""The README's quick start, run as written on this machine's own Python, and its install snippets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SYSTEM_PYTHON = Path("/usr/bin/python3")
_COPY_SKIP = shutil.ignore_patterns(".venv", ".ci-venv", ".git", "*.egg-info", "__pycache__", ".mypy_cache",
                                    ".ruff_cache", ".pytest_cache", ".hypothesis", "build", "dist")


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _shell_blocks(section: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def _clean_env(home: Path) -> dict[str, str]:
    """A login-like environment: only /usr/bin on PATH, no virtual environment, the machine's pip settings."""
    env = {key: value for key, value in os.environ.items() if key.startswith("PIP_") or key in ("LANG", "LC_ALL")}
    env.update(PATH="/usr/bin", HOME=str(home), TERM="dumb")
    return env


def _index_reachable(work: Path, env: dict[str, str]) -> bool:
    """Whether pip, as configured on this machine, can fetch from a package index."""
    probe = work / "probe-venv"
    made = subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(probe)], env=env, capture_output=True, timeout=300)
    if made.returncode != 0:
        return False
    fetched = subprocess.run([str(probe / "bin" / "pip"), "download", "--no-deps", "-q", "-d", str(work / "probe"),
                              "setuptools>=77"], env=env, capture_output=True, timeout=300)
    shutil.rmtree(probe, ignore_errors=True)
    return fetched.returncode == 0


@pytest.mark.slow
def test_quick_start_runs_verbatim_with_the_system_python(tmp_path: Path) -> None:
    if not SYSTEM_PYTHON.exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    [command, *_] = _shell_blocks(_section("Quick start"))
    assert "pip install ." in command and "check fixtures/demo" in command
    env = _clean_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    if not _index_reachable(tmp_path, env):
        pytest.skip("no package index reachable")
    checkout = tmp_path / "kubelint-py"
    shutil.copytree(ROOT, checkout, ignore=_COPY_SKIP)
    done = subprocess.run(["/usr/bin/bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=900)
    # The demo has real problems: the lint exits 1 and prints them; any other code is a failed step.
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-3000:]
    assert "DC101" in done.stdout and "fixtures/demo/compose.yaml:10:9:" in done.stdout
    assert re.search(r"Found \d+ problems", done.stdout)


def test_quick_start_commands_keep_to_the_virtual_environment() -> None:
    blocks = _shell_blocks(_section("Quick start"))
    assert len(blocks) >= 2
    for command in blocks[:2]:
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install ")
        assert "python3 -m pip install" not in command, "PEP 668: the system Python refuses it"
    text = README.read_text(encoding="utf-8")
    offers = [m.start() for m in re.finditer(r"pip install kubelint-py\b", text)]
    assert offers, "the published-package wording is there"
    for at in offers:  # kubelint-py is not on PyPI: every such offer says "once published"
        assert "published" in text[max(0, at - 120):at].lower(), text[max(0, at - 120):at + 30]


def test_pre_commit_snippet_rev_exists_and_has_the_hook_manifest() -> None:
    snippet = _section("pre-commit and CI")
    [rev] = re.findall(r"^\s+rev: (\S+)", snippet, re.M)
    assert re.fullmatch(r"[0-9a-f]{40}", rev), "a full commit hash (there is no release tag yet)"
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True,
                             text=True)
    if shallow.stdout.strip() == "true":
        pytest.skip("a shallow clone may not hold the commit")
    found = subprocess.run(["git", "cat-file", "-e", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True)
    assert found.returncode == 0, f"{rev} with .pre-commit-hooks.yaml is not in this repository"


def test_gitlab_ci_snippet_publishes_the_reports() -> None:
    from ruamel.yaml import YAML

    from kubelint_py.report import FORMATS

    [block] = re.findall(r"```yaml\n(.*?)```", _section("CI integration").split("### GitLab CI")[1], re.S)[:1]
    job = YAML(typ="safe").load(block)["kubelint"]
    reports = job["artifacts"]["reports"]
    assert job["artifacts"]["when"] == "always"
    command = next(line for line in job["script"] if line.startswith("kubelint-py check"))
    outputs = dict(reversed(entry.split(":", 1)) for entry in re.findall(r"--format (\S+:\S+)", command))
    assert outputs[reports["codequality"]] == "gitlab" and outputs[reports["junit"]] == "junit"
    assert set(re.findall(r"--format (\w+)", command)) <= set(FORMATS)
