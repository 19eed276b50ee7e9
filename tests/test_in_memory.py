"""Linting content held in memory (standard input, an editor's buffers): kubelint_py.api.lint_contents."""

from __future__ import annotations

from pathlib import Path

from kubelint_py.api import lint, lint_contents
from kubelint_py.engine.config import Config
from kubelint_py.engine.config_file import build_config
from kubelint_py.loading.in_memory import sniff_kind
from tests.in_memory_support import DEPLOYMENT, SECRET


def _codes(report: object) -> set[str]:
    return {f.code for f in report.active}  # type: ignore[attr-defined]


def test_format_from_the_name_else_the_content() -> None:
    assert sniff_kind("Dockerfile", "anything") == "dockerfile"
    assert sniff_kind("compose.yaml", "x: 1") == "compose"
    assert sniff_kind("-", "# syntax=docker/dockerfile:1\n\nARG BASE=alpine\nFROM $BASE\n") == "dockerfile"
    assert sniff_kind("-", "from python:3.12\n") == "dockerfile"
    assert sniff_kind("-", "apiVersion: v1\nkind: ConfigMap\n") == "yaml"
    assert sniff_kind("notes", "FROMAGE: 1\n") == "yaml"


def test_unsaved_content_replaces_the_file_and_is_reported_at_its_path(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "secret.yaml").write_text(SECRET)
    on_disk = lint(["deploy.yaml"], Config(project_root=str(tmp_path), use_cache=False), cwd=tmp_path)
    assert "KS603" not in _codes(on_disk)
    edited = DEPLOYMENT.replace("web-secrets", "web-secret")  # a typo made in the editor, not saved
    report = lint_contents({"deploy.yaml": edited}, Config(project_root=str(tmp_path)), cwd=tmp_path)
    ks603 = [f for f in report.active if f.code == "KS603"]
    assert [(f.location.path, f.location.line) for f in ks603] == [("deploy.yaml", 13)]
    assert [f.path for f in report.files] == ["deploy.yaml"], "only the given paths are reported"
    assert (tmp_path / "deploy.yaml").read_text() == DEPLOYMENT, "the disk is left alone"


def test_a_new_file_that_is_not_on_the_disk_yet(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text(SECRET)
    report = lint_contents({"new/deploy.yaml": DEPLOYMENT}, Config(project_root=str(tmp_path)), cwd=tmp_path)
    assert [f.path for f in report.files] == ["new/deploy.yaml"]
    assert "KS603" not in _codes(report), "its Secret is found in the project on the disk"
    assert "KL003" not in _codes(report)


def test_standard_input_without_a_name_is_judged_by_its_content(tmp_path: Path) -> None:
    report = lint_contents({"-": "FROM python:latest\nRUN pip install flask\n"}, Config(use_cache=False),
                           cwd=tmp_path)
    assert report.files[0].path == "-" and report.files[0].dockerfile is not None
    assert "DF301" in _codes(report)
    yaml_report = lint_contents({"-": "services:\n  a:\n    image: x:1\n    depends_on: [b]\n"}, cwd=tmp_path)
    assert "DC101" in _codes(yaml_report)


def test_per_path_ignores_match_the_given_path(tmp_path: Path) -> None:
    (tmp_path / ".kubelint.yaml").write_text("per-path-ignores:\n  legacy/**: [DF301]\n")
    config = build_config(["legacy/Dockerfile"], cwd=tmp_path)
    text = "FROM python:latest\nUSER app\n"
    assert "DF301" not in _codes(lint_contents({"legacy/Dockerfile": text}, config, cwd=tmp_path))
    assert "DF301" in _codes(lint_contents({"app/Dockerfile": text}, config, cwd=tmp_path))


def test_limits_hold_for_content_in_memory(tmp_path: Path) -> None:
    big = lint_contents({"a.yaml": "a: " + "x" * 2000 + "\n"}, Config(max_file_size=1000), cwd=tmp_path)
    assert [f.code for f in big.active] == ["KL003"]
    binary = lint_contents({"b.yaml": "a: 1\x00\n"}, cwd=tmp_path)
    assert [f.code for f in binary.active] == ["KL003"]
    bom = lint_contents({"c.yaml": "\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"}, cwd=tmp_path)
    assert "KL001" not in _codes(bom)
