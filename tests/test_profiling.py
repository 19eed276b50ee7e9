"""Profilers and tracers see the whole run: the launcher ends the process with os._exit only when none
is active (a profile written at exit would otherwise be lost)."""

from __future__ import annotations

import pstats
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cprofile_writes_its_profile(tmp_path: Path) -> None:
    profile = tmp_path / "run.prof"
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                        "spec:\n  containers: [{name: c, image: 'c:1'}]\n")
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "kubelint_py", "check",
                    str(manifest), "--no-cache", "--no-config", "-q"],
                   cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert profile.exists(), "the profile was not written: the process ended before cProfile could save it"
    names = {function for (_, _, function) in pstats.Stats(str(profile)).stats}  # type: ignore[attr-defined]
    assert "lint" in names
