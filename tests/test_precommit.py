"""The pre-commit hook: its manifest, its file patterns, and a real pre-commit run on a fresh repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kubelint_py.discovery.walk import classify_name
from kubelint_py.models.located import YMap
from kubelint_py.parsing.yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def hook() -> YMap:
    documents = load_yaml(MANIFEST.read_text()).documents
    hooks = documents[0].value
    assert isinstance(hooks, list) and len(hooks) == 1
    found = hooks[0]
    assert isinstance(found, YMap)
    return found


def test_manifest_is_valid_for_pre_commit() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_manifest_declares_the_agreed_hook() -> None:
    found = hook()
    assert found["id"] == "kubelint-py"
    assert found["entry"] == "kubelint-py check"
    assert found["language"] == "python"
    assert found["require_serial"] is True and found["pass_filenames"] is True


@pytest.mark.parametrize("path", [
    "k8s/deployment.yaml", "compose.yml", "Dockerfile", "docker/Dockerfile.prod", "prod.Dockerfile",
    "app.dockerfile", "Containerfile", "build/containerfile.dev", "DOCKERFILE",
])
def test_hook_files_pattern_takes_what_kubelint_lints(path: str) -> None:
    found = hook()
    assert re.search(found["files"], path)
    assert not re.search(found["exclude"], path)
    assert classify_name(path.rsplit("/", 1)[-1]) is not None  # and kubelint-py recognises the name


@pytest.mark.parametrize("path", ["chart/templates/deployment.yaml", "README.md", "package.json",
                                  "Dockerfile-notes.txt", "src/main.py"])
def test_hook_skips_templates_and_other_files(path: str) -> None:
    found = hook()
    assert not re.search(found["files"], path) or re.search(found["exclude"], path)


# --- a real pre-commit run ---------------------------------------------------------------------

BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27.2
"""
GOOD = BAD + "          readinessProbe: {httpGet: {path: /, port: 80}}\n"


def _package_index_reachable() -> str | None:
    """None when pip can reach its package index (pre-commit needs it to build the hook's environment)."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--timeout", "10",
                 "--retries", "0", "--dest", scratch, "dockerfile-parse>=2.0,<3"],
                capture_output=True, text=True, timeout=90, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"pip could not be run: {error}"
    if done.returncode != 0:
        return "no package index reachable (pip download failed): " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return None


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], cwd=cwd, capture_output=True, text=True, check=True)


@pytest.mark.slow
def test_real_pre_commit_run_fails_on_a_bad_file_and_passes_on_a_good_one(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    reason = _package_index_reachable()
    if reason is not None:
        pytest.skip(reason)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1",
           "KUBELINT_CACHE_DIR": str(tmp_path / "kubelint-cache")}
    env.pop("VIRTUAL_ENV", None)

    def try_repo() -> subprocess.CompletedProcess[str]:
        # try-repo uses this checkout, uncommitted changes included, as the hook repository;
        # without --files it checks the staged files, as on `git commit`.
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "kubelint-py",
                               "--verbose"], cwd=repo, env=env, capture_output=True, text=True, timeout=900,
                              check=False)

    # Only the readiness-probe rule: the test is about the hook, not about the rule set of the day.
    (repo / ".kubelint.yaml").write_text("select: [KS102]\n")
    _git(repo, "add", ".kubelint.yaml")
    (repo / "deploy.yaml").write_text(BAD)
    _git(repo, "add", "deploy.yaml")
    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "deploy.yaml:10:17: KS102" in failed.stdout, failed.stdout

    (repo / "deploy.yaml").write_text(GOOD)
    _git(repo, "add", "deploy.yaml")
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "kubelint-py" in passed.stdout and "Passed" in passed.stdout
    _git(repo, "commit", "-q", "-m", "a deployment with a readiness probe")
