"""Reading files: exactly up to the size limit, whatever buffer the reads use."""

from __future__ import annotations

from pathlib import Path

from kubelint_py.loading.source_file import SourceFile, is_helm_template_path, read_regular_bytes, read_text


def test_a_file_at_the_limit_is_read_whole_and_one_byte_over_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n" * 20)  # 100 bytes
    source = SourceFile(str(path), "unreadable", fs_path=str(path))
    assert read_text(source, 100) == "a: 1\n" * 20 and not source.findings
    assert read_regular_bytes(str(path), 100) == b"a: 1\n" * 20
    assert read_regular_bytes(str(path), 1000) == b"a: 1\n" * 20
    assert read_regular_bytes(str(path), 99) == (b"a: 1\n" * 20)[:100]  # limit + 1: the caller sees "over"
    over = SourceFile(str(path), "unreadable", fs_path=str(path))
    assert read_text(over, 99) is None and over.findings


def test_helm_templates_are_found_through_linked_folders_and_files(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: c\n")
    (chart / "templates" / "d.yaml").write_text("a: 1\n")
    (tmp_path / "linked").symlink_to(chart / "templates")
    (tmp_path / "file.yaml").symlink_to(chart / "templates" / "d.yaml")
    (tmp_path / "plain.yaml").write_text("a: 1\n")
    assert is_helm_template_path(str(chart / "templates" / "d.yaml"))
    assert is_helm_template_path(str(tmp_path / "linked" / "d.yaml"))
    assert is_helm_template_path(str(tmp_path / "file.yaml"))
    assert not is_helm_template_path(str(tmp_path / "plain.yaml"))
