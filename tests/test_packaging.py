"""The distributions: the sdist leaves the tests out (they need a checkout) and builds a wheel that
carries the licence, the policy catalogue and the schemas. Built in-process with setuptools' PEP 517
backend (no build isolation, so no network), from a copy of the work tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SKIP = shutil.ignore_patterns(".venv", ".ci-venv", ".git", "*.egg-info", "__pycache__", ".mypy_cache",
                               ".ruff_cache", ".pytest_cache", ".hypothesis", "build", "dist")


def _build(source: Path, kind: str, out: Path) -> Path:
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("pkg")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=_SKIP)
    sdist = _build(tree, "sdist", work / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(work / "unpacked", filter="data")
    [unpacked] = (work / "unpacked").iterdir()
    wheel = _build(unpacked, "wheel", work / "wheel")  # the wheel a user gets from the sdist
    return sdist, wheel


def test_sdist_contents(distributions: tuple[Path, Path]) -> None:
    sdist, _ = distributions
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "setup.py", "PKG-INFO", "kubelint_py/api.py",
            "kubelint_py/schemas/SOURCES.md", "kubelint_py/schemas/compose-spec.json"} <= names
    assert any(name.startswith("rules/") and name.endswith(".yaml") for name in names), "the policy catalogue"
    # The tests are left out, with everything only they need: an sdist never holds tests that cannot run.
    for folder in ("tests/", "benchmarks/", "schemas/", "docs/", "tools/"):
        assert not any(name.startswith(folder) for name in names), folder
    # The fixtures are there for the rules' examples (setup.py copies them into the wheel).
    assert "fixtures/dockerfile/DF301/bad-latest.Dockerfile" in names
    assert not any(name.endswith((".pyc", ".pyo")) or "__pycache__" in name for name in names)


def test_wheel_carries_licence_metadata_and_data(distributions: tuple[Path, Path]) -> None:
    _, wheel = distributions
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode("utf-8"))
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert "Apache License" in archive.read(licence).decode("utf-8")
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers), "the SPDX expression says it"
    runtime = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert not any(r.startswith(("sarif-om", "dockerfile-parse")) for r in runtime)
    assert any(n.startswith("kubelint_py/data/rules/") and n.endswith(".yaml") for n in names)
    assert "kubelint_py/schemas/kubernetes.schemas.gz" in names and "kubelint_py/py.typed" in names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)
    # Each rule's first bad and good example, for `explain` and SARIF help in an installed copy.
    assert "kubelint_py/data/examples/dockerfile/DF301/bad-latest.Dockerfile" in names
    assert "kubelint_py/data/examples/dockerfile/DF301/good-pinned.Dockerfile" in names
    examples = [n for n in names if n.startswith("kubelint_py/data/examples/")]
    assert len(examples) > 150


def test_installed_examples_match_the_fixtures(distributions: tuple[Path, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """explain's examples from an installed wheel (no fixtures/ folder) are those of a checkout."""
    from kubelint_py.engine.catalogue import all_rules, load_rules
    from kubelint_py.report import rule_docs

    _, wheel = distributions
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    load_rules()
    rules = all_rules()
    expected = {r.code: rule_docs.fixture_examples(r) for r in rules}
    monkeypatch.setattr(rule_docs, "FIXTURES", tmp_path / "no-fixtures-here")
    monkeypatch.setattr(rule_docs, "PACKAGED_EXAMPLES", tmp_path / "kubelint_py" / "data" / "examples")
    assert {r.code: rule_docs.fixture_examples(r) for r in rules} == expected
    assert sum(1 for bad, good in expected.values() if bad and good) > 100


def test_every_runtime_dependency_is_imported() -> None:
    """No declared run-time dependency that nothing imports."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    imports = {"ruamel.yaml": "ruamel.yaml", "ruamel.yaml.clib": "_ruamel_yaml", "jsonschema": "jsonschema",
               "pathspec": "pathspec", "google-re2": "re2"}
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "kubelint_py").rglob("*.py"))
    for requirement in project["dependencies"]:
        name = requirement.split(";")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        assert name in imports, f"{name}: say which module it provides"
        module = imports[name]
        assert f"import {module}" in sources or f"from {module}" in sources or f'"{module}"' in sources, name
