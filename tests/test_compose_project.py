"""The compose project model (merge, extends, include, layers), port parsing and related-file loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.building.compose_builds import compose_build_args
from kubelint_py.building.compose_project import ComposeModel, compose_model
from kubelint_py.engine.config import Config
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.models.compose import ComposeFile
from kubelint_py.models.compose_ports import parse_port
from kubelint_py.parsing.yaml import load_yaml


def _file(path: Path, text: str) -> ComposeFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return ComposeFile(str(path), load_yaml(text, "yaml12").documents[0].value, text)


def _model(*files: ComposeFile) -> ComposeModel:
    return ComposeModel(files)


def test_override_merges_by_the_compose_rules(tmp_path: Path) -> None:
    base = _file(tmp_path / "compose.yaml", """services:
  web:
    image: web:1
    command: ["a", "b"]
    environment: {A: "1", B: "2"}
    ports: ["80:80"]
    volumes: ["data:/data", "./conf:/conf"]
    labels: [x=1]
""")
    override = _file(tmp_path / "compose.override.yaml", """services:
  web:
    command: ["c"]
    environment: [B=3, C=4]
    ports: ["80:80", "443:443"]
    volumes: ["./other:/conf"]
    labels: {y: "2"}
""")
    model = _model(base, override)
    service = model.project_of(override).services["web"]  # type: ignore[union-attr]
    assert model.project_of(base) is model.project_of(override)
    assert list(service.data["command"]) == ["c"]
    assert dict(service.data["environment"]) == {"A": "1", "B": "3", "C": "4"}
    assert list(service.data["ports"]) == ["80:80", "443:443"]
    assert list(service.data["volumes"]) == ["data:/data", "./other:/conf"]
    assert dict(service.data["labels"]) == {"x": "1", "y": "2"}
    # Locations point at the file that holds the value.
    assert service.locate(("environment", "A")).path == base.path
    assert service.locate(("environment", "B")).path == override.path
    assert service.locate(("environment", "B")).line == 4
    assert service.locate(("ports", 1)).path == override.path
    assert service.locate(("volumes", 1)).path == override.path
    assert service.locate(("image",)).path == base.path


def test_extends_in_same_and_other_file(tmp_path: Path) -> None:
    common = _file(tmp_path / "common.yaml", """services:
  base:
    image: app:1
    environment: {LEVEL: info}
""")
    main = _file(tmp_path / "compose.yaml", """services:
  web:
    extends: {file: common.yaml, service: base}
    environment: {PORT: "80"}
  worker:
    extends: web
""")
    model = _model(common, main)
    web = model.project_of(main).services["web"]  # type: ignore[union-attr]
    worker = model.project_of(main).services["worker"]  # type: ignore[union-attr]
    assert web.data["image"] == "app:1" and dict(web.data["environment"]) == {"LEVEL": "info", "PORT": "80"}
    assert worker.data["image"] == "app:1"
    assert web.locate(("image",)).path == common.path


def test_extends_cycle_does_not_hang(tmp_path: Path) -> None:
    main = _file(tmp_path / "compose.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n")
    assert set(_model(main).project_of(main).services) == {"a", "b"}  # type: ignore[union-attr]


def test_include_and_layers_widen_the_scope(tmp_path: Path) -> None:
    shared = _file(tmp_path / "shared" / "compose.yaml", "services:\n  db:\n    image: postgres:16\n")
    main = _file(tmp_path / "compose.yaml", "include: [shared/compose.yaml]\nservices:\n  web:\n"
                                            "    image: web:1\n    depends_on: [db]\n")
    layer = _file(tmp_path / "compose.debug.yaml", "services:\n  debug:\n    image: dbg:1\n"
                                                   "    depends_on: [web]\n")
    alone = _file(tmp_path / "compose.alt.yaml", "services:\n  web:\n    image: web:2\n    ports: ['80:80']\n")
    model = _model(shared, main, layer, alone)
    assert "db" in model.scope_of(main).services
    assert "web" in model.scope_of(layer).services
    assert model.is_fragment(layer) and not model.is_fragment(alone)
    assert [f.path for f in model.project_of(layer).files] == [main.path, layer.path]  # type: ignore[union-attr]
    assert [f.path for f in model.project_of(alone).files] == [alone.path]  # type: ignore[union-attr]


def test_model_is_built_once_per_index(tmp_path: Path) -> None:
    index = ProjectIndex.build([], [_file(tmp_path / "compose.yaml", "services:\n  a:\n    image: a:1\n")])
    assert compose_model(index) is compose_model(index)


@pytest.mark.parametrize(("text", "expected"), [
    ("80", (None, (80, 80), "", "tcp")),
    ("8080:80", ((8080, 8080), (80, 80), "", "tcp")),
    ("127.0.0.1:8080:80/udp", ((8080, 8080), (80, 80), "127.0.0.1", "udp")),
    ("[::1]:8080:80", ((8080, 8080), (80, 80), "::1", "tcp")),
    ("8000-8010:8000-8010", ((8000, 8010), (8000, 8010), "", "tcp")),
])
def test_parse_short_ports(text: str, expected: tuple[object, ...]) -> None:
    mapping = parse_port(text)
    assert mapping is not None
    assert (mapping.published, mapping.target, mapping.host_ip, mapping.protocol) == expected


def test_unknowable_ports_are_skipped() -> None:
    assert parse_port("${PORT}:80") is None
    assert parse_port("abc") is None


def test_all_interfaces_overlaps_a_specific_address() -> None:
    wide, local, other = parse_port("80:80"), parse_port("127.0.0.1:80:81"), parse_port("127.0.0.2:80:82")
    assert wide is not None and local is not None and other is not None
    assert wide.overlaps(local) and not local.overlaps(other)


def test_override_linted_alone_sees_the_base(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n"
                                                    "    depends_on: [db]\n")
    report = lint([str(tmp_path / "compose.override.yaml")], Config(fail_on=None))
    codes = {(Path(f.location.path).name, f.code) for f in report.active}
    # db is defined in the base (no DC101), and the base's own problem (DC401) is not reported.
    assert codes == set()
    assert [Path(f.path).name for f in report.files] == ["compose.override.yaml"]


def test_dockerfile_named_by_compose_is_linted_with_its_args(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.df").write_text("ARG BASE=python:latest\nFROM ${BASE}\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build:\n      context: .\n"
                                           "      dockerfile: build/app.df\n      args:\n        BASE: python:3.12\n")
    report = lint([str(tmp_path)], Config(select=("DF301",), fail_on=None))
    assert any(Path(f.path).name == "app.df" and f.dockerfile is not None for f in report.files)
    assert [f.code for f in report.active] == ["DF301"]  # the Dockerfile's own default is still unpinned
    dockerfile = next(f.dockerfile for f in report.files if f.dockerfile is not None)
    index = ProjectIndex.build([], [f.compose for f in report.files if f.compose is not None], [dockerfile])
    assert compose_build_args(index, dockerfile) == {"BASE": "python:3.12"}


def test_excluded_dockerfile_is_not_added(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.df").write_text("FROM python:latest\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build:\n      context: .\n"
                                           "      dockerfile: build/app.df\n")
    report = lint([str(tmp_path)], Config(select=("DF301",), fail_on=None, exclude=("*.df",)), cwd=tmp_path)
    assert report.active == []


def test_reset_and_override_tags(tmp_path: Path) -> None:
    base = _file(tmp_path / "compose.yaml", """services:
  web:
    image: web:1
    ports: ["80:80"]
    environment: {A: "1", B: "2"}
    privileged: true
""")
    override = _file(tmp_path / "compose.override.yaml", """services:
  web:
    ports: !reset []
    environment: !override
      C: "3"
    privileged: !reset null
""")
    service = _model(base, override).project_of(base).services["web"]  # type: ignore[union-attr]
    assert "ports" not in service.data and "privileged" not in service.data
    assert dict(service.data["environment"]) == {"C": "3"}


def test_paths_resolve_from_the_lint_cwd_not_the_process_cwd(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "app.df").write_text("FROM python:latest\nEXPOSE 8080\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build:\n      context: .\n"
                                           "      dockerfile: build/app.df\n    ports: ['80:80']\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n"
                                                    "    depends_on: [app]\n")
    report = lint(["compose.override.yaml", "compose.yaml"], Config(select=("DF301", "DC101", "XF"), fail_on=None),
                  cwd=tmp_path)
    found = sorted((f.location.path, f.code) for f in report.active)
    assert found == [("build/app.df", "DF301"), ("compose.yaml", "XF103")]


def test_layer_linted_alone_sees_its_base_and_sibling_layers(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  core:\n    image: core:1\n")
    ext = tmp_path / "extensions" / "x"
    ext.mkdir(parents=True)
    (ext / "server-compose.yml").write_text("services:\n  server:\n    image: server:1\n    depends_on: [core]\n")
    (ext / "agent-compose.yml").write_text("services:\n  agent:\n    image: agent:1\n"
                                           "    depends_on: [server, core]\n")
    report = lint([str(ext / "agent-compose.yml")], Config(select=("DC101",), fail_on=None))
    assert report.active == []
    (ext / "agent-compose.yml").write_text("services:\n  agent:\n    image: agent:1\n    depends_on: [nowhere]\n")
    report = lint([str(ext / "agent-compose.yml")], Config(select=("DC101",), fail_on=None))
    assert [f.code for f in report.active] == ["DC101"]
