"""The folder walk skips what git ignores, inside a git work tree (pathspec does the matching)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.discovery import gitignore
from kubelint_py.discovery.walk import discover
from kubelint_py.engine.config import Config
from kubelint_py.engine.config_file import build_config

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _found(root: Path, paths: list[str] | None = None, **options: bool) -> list[str]:
    return sorted(c.path for c in discover(paths or ["."], cwd=root, **options))


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git" / "info").mkdir(parents=True)
    return tmp_path / "repo"


def test_gitignore_at_every_level_with_negation_and_folders(tmp_path: Path) -> None:
    repo = _tree(_repo(tmp_path), {
        ".gitignore": "build/\n*.gen.yaml\n/top-only.yaml\n# a comment\n",
        "build/a.yaml": CM % "a", "top-only.yaml": CM % "t", "k8s/top-only.yaml": CM % "t2",
        "k8s/app.yaml": CM % "app", "k8s/x.gen.yaml": CM % "x",
        "k8s/.gitignore": "!keep.gen.yaml\nlocal/\n", "k8s/keep.gen.yaml": CM % "keep",
        "k8s/local/dev.yaml": CM % "dev", "Dockerfile": "FROM scratch\n",
    })
    (repo / ".git" / "info" / "exclude").write_text("secret-overrides.yaml\n")
    (repo / "k8s" / "secret-overrides.yaml").write_text(CM % "s")
    assert _found(repo) == ["Dockerfile", "k8s/app.yaml", "k8s/keep.gen.yaml", "k8s/top-only.yaml"]
    assert _found(repo, respect_gitignore=False) == [
        "Dockerfile", "build/a.yaml", "k8s/app.yaml", "k8s/keep.gen.yaml", "k8s/local/dev.yaml",
        "k8s/secret-overrides.yaml", "k8s/top-only.yaml", "k8s/x.gen.yaml", "top-only.yaml"]
    # Walking a sub-folder applies the patterns of the folders above it.
    assert _found(repo, ["k8s"]) == ["k8s/app.yaml", "k8s/keep.gen.yaml", "k8s/top-only.yaml"]


def test_named_files_and_folders_are_linted_even_when_ignored(tmp_path: Path) -> None:
    repo = _tree(_repo(tmp_path), {".gitignore": "build/\n*.gen.yaml\n", "build/a.yaml": CM % "a",
                                   "build/b.gen.yaml": CM % "b", "x.gen.yaml": CM % "x"})
    assert _found(repo, ["x.gen.yaml"]) == ["x.gen.yaml"]
    assert _found(repo, ["build"]) == ["build/a.yaml", "build/b.gen.yaml"], "an ignored folder named explicitly"


def test_outside_a_git_work_tree_gitignore_means_nothing(tmp_path: Path) -> None:
    root = _tree(tmp_path / "plain", {".gitignore": "*.yaml\n", "a.yaml": CM % "a"})
    if gitignore.work_tree_top(str(root)) is not None:
        pytest.skip("the temporary folder is inside a git work tree")
    assert _found(root) == ["a.yaml"]


def test_lint_and_configuration_switch(tmp_path: Path) -> None:
    repo = _tree(_repo(tmp_path), {".gitignore": "generated/\n", "generated/a.yaml": CM % "a",
                                   "app.yaml": CM % "b"})
    assert [f.path for f in lint(["."], Config(use_cache=False), cwd=repo).files] == ["app.yaml"]
    both = lint(["."], Config(use_cache=False, respect_gitignore=False), cwd=repo).files
    assert sorted(f.path for f in both) == ["app.yaml", "generated/a.yaml"]
    (repo / ".kubelint.yaml").write_text("respect-gitignore: false\n")
    config = build_config(["."], cwd=repo)
    assert config.respect_gitignore is False


def test_hostile_ignore_files_are_read_within_a_budget(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    lines = [f"pattern-{i}.yaml" for i in range(gitignore.MAX_PATTERNS + 50)] + ["late.yaml"]
    _tree(repo, {".gitignore": "\n".join(lines) + "\n[unclosed\n", "late.yaml": CM % "l",
                 "pattern-3.yaml": CM % "p", "ok.yaml": CM % "o"})
    assert _found(repo) == ["late.yaml", "ok.yaml"], "patterns past the budget are not used"
    (repo / ".gitignore").write_bytes(b"\xff\xfe*.yaml\x00\n")
    assert isinstance(_found(repo), list)  # undecodable bytes cost nothing but that line


def test_last_matching_pattern_decides_across_chunks(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    filler = [f"filler-{i}.yaml" for i in range(gitignore.CHUNK + 10)]
    _tree(repo, {".gitignore": "*.yaml\n" + "\n".join(filler) + "\n!keep.yaml\n",
                 "keep.yaml": CM % "k", "drop.yaml": CM % "d"})
    spec = gitignore.GitIgnore(str(repo)).spec_of("")
    assert spec is not None and len(spec.chunks) == 2
    assert _found(repo) == ["keep.yaml"], "a negation in a later chunk re-includes"


def test_total_budget_across_ignore_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gitignore, "MAX_TOTAL_PATTERNS", 3)
    repo = _tree(_repo(tmp_path), {".gitignore": "a.yaml\nb.yaml\n", "sub/.gitignore": "c.yaml\nd.yaml\n",
                                   "sub/c.yaml": CM % "c", "sub/d.yaml": CM % "d", "a.yaml": CM % "a"})
    assert _found(repo) == ["sub/d.yaml"], "the budget ran out after c.yaml"
