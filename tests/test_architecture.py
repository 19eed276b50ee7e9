"""The package reads as the pipeline: each stage folder imports only the stages below it, and no module
imports another that imports it back, lazy (function-level) and type-checking imports included.

The contracts are in pyproject.toml ([tool.importlinter]); import-linter checks them here, so CI (which
runs pytest) fails on a violation. `lint-imports` runs the same check by hand.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kubelint_py"

def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    script = ("import sys\nfrom importlinter.cli import lint_imports\n"
              "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))\n")
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_stage_folder_and_top_level_module_is_a_layer() -> None:
    """A new folder or module beside the stages must be placed in the order, or it escapes the contract."""
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert isinstance(layers, list)
    present = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    present |= {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert present == set(layers)


def test_no_module_imports_the_package_by_a_literal_name() -> None:
    """importlib.import_module("kubelint_py.x") hides an import from the check: import it plainly (lazily
    inside a function if start-up matters). Computed names (rule modules found by walking checks/, report
    formats by name) are plugin lookups, not hidden dependencies."""
    hidden: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and node.args[0].value.startswith("kubelint_py") \
                    and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__"):
                hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert hidden == []


@pytest.mark.parametrize(("module", "line"), [
    # a lazy import that points up the stages
    ("core/source.py", "def _up() -> None:\n    from kubelint_py.cli import app  # noqa\n"),
    # a cycle between two modules of one stage, through a type-checking import
    ("loading/build_context.py",
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kubelint_py.loading import batch  # noqa\n"),
])
def test_the_contracts_catch_a_violation(tmp_path: Path, module: str, line: str) -> None:
    shutil.copytree(PACKAGE, tmp_path / "kubelint_py", ignore=shutil.ignore_patterns("__pycache__", "*.json",
                                                                                      "*.gz", "*.md"))
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "kubelint_py" / module).open("a", encoding="utf-8") as handle:
        handle.write("\n" + line)
    result = _lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout, result.stdout + result.stderr
