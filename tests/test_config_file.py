"""Configuration files: discovery, validation with lines and suggestions, merging with the CLI, init."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelint_py.engine.config import ConfigError
from kubelint_py.engine.config_file import (
    STARTER,
    build_config,
    find_config_file,
    read_config_file,
    show_config,
    validate,
)
from kubelint_py.engine.registry import Parameter, Severity
from tests.cli_support import invoke
from tests.rule_support import temporary_rule


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(cwd)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_error(tmp_path: Path, text: str, name: str = ".kubelint.yaml") -> str:
    target = write(tmp_path / name, text)
    with pytest.raises(ConfigError) as caught:
        validate(read_config_file(target))
    return str(caught.value)


# --- discovery ---------------------------------------------------------------------------------


def test_found_by_walking_up_from_the_linted_path(tmp_path: Path) -> None:
    config = write(tmp_path / ".kubelint.yaml", "ignore: [KS102]\n")
    write(tmp_path / "deploy" / "k8s" / "app.yaml", "a: 1\n")
    assert find_config_file(["deploy/k8s/app.yaml"], tmp_path) == config
    assert find_config_file([str(tmp_path / "deploy")], tmp_path) == config
    nearer = write(tmp_path / "deploy" / ".kubelint.yml", "ignore: []\n")
    assert find_config_file(["deploy/k8s"], tmp_path) == nearer
    # Several paths: the folder that holds them all decides.
    write(tmp_path / "other" / "x.yaml", "a: 1\n")
    assert find_config_file(["deploy/k8s", "other"], tmp_path) == config


def test_pyproject_needs_a_tool_kubelint_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.kubelint]\nignore = ['KS102']\n")
    write(tmp_path / "sub" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    assert find_config_file(["sub"], tmp_path) == tmp_path / "pyproject.toml"
    config = build_config(["sub"], cwd=tmp_path)
    assert config.ignore == ("KS102",)
    assert config.sources["ignore"].endswith("pyproject.toml:2:1")


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    write(tmp_path / ".kubelint.yaml", "fail-on: error\n")
    assert build_config(["."], cwd=tmp_path).fail_on is Severity.ERROR
    assert build_config(["."], cwd=tmp_path, isolated=True).fail_on is Severity.WARNING


# --- validation --------------------------------------------------------------------------------


def test_unknown_key_has_line_and_suggestion(tmp_path: Path) -> None:
    message = config_error(tmp_path, "ignore: [KS102]\n\nselct: [KS]\n")
    assert ".kubelint.yaml:3:1: unknown key 'selct' (did you mean 'select'?)" in message
    assert "did you mean 'extend-select'" in config_error(tmp_path, "extend_select: [KS]\n")


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    message = config_error(tmp_path, "fail-on: warn\nseverity:\n  missing-readines-probe: error\n"
                                     "kubernetes-version: 1.30\nexternal-objects: [tls-cert]\n")
    lines = message.splitlines()
    assert lines[0] == "invalid configuration:"
    assert ":1:10: fail-on: \"warn\" is not one of error, warning, info, none (did you mean 'warning'?)" in lines[1]
    assert ":3:3: no rule matches 'missing-readines-probe' (did you mean 'missing-readiness-probe'?)" in lines[2]
    assert ':4:21: kubernetes-version: write the version as a quoted string, "1.30"' in lines[3]
    assert ":5:20: external-objects.0: \"tls-cert\" is not valid (expected Kind/namespace/name" in lines[4]


def test_wrong_types_and_yaml_errors(tmp_path: Path) -> None:
    assert ":1:9: select: 'KS102' is not of type 'array'" in config_error(tmp_path, "select: KS102\n")
    assert ":2:" in config_error(tmp_path, "ignore: [a\nfoo: {\n")
    assert "must be a mapping" in config_error(tmp_path, "- select\n")
    assert "duplicate key 'ignore'" in config_error(tmp_path, "ignore: []\nignore: []\n")


def test_selectors_in_per_path_ignores_are_checked(tmp_path: Path) -> None:
    message = config_error(tmp_path, "per-path-ignores:\n  charts/**: [all, KS1022]\n")
    assert ":2:20: no rule matches 'KS1022' (did you mean 'KS102'?)" in message


def test_rule_parameters_are_validated(tmp_path: Path) -> None:
    params = {"registries": Parameter(["docker.io"], "trusted registries"), "strict": Parameter(True, "x")}
    with temporary_rule(parameters=params):
        message = config_error(tmp_path, "parameters:\n  test-run-end:\n    registry: [ghcr.io]\n"
                                         "    strict: 'yes'\n  no-such-rule: {a: 1}\n")
        assert ":3:5: rule DF999 (test-run-end) has no option 'registry' (did you mean 'registries'?)" in message
        assert ":4:13: option 'strict' of DF999 (test-run-end) takes a boolean, not \"yes\"" in message
        assert ":5:3: parameters: no rule named 'no-such-rule'" in message
        write(tmp_path / ".kubelint.yaml", "parameters:\n  test-run-end: {registries: [ghcr.io/acme]}\n")
        config = build_config(["."], cwd=tmp_path)
        assert config.rule_params == {"DF999": {"registries": ["ghcr.io/acme"]}}
        from kubelint_py.engine.catalogue import find_rule

        found = find_rule("DF999")
        assert found is not None
        assert config.params_for(found) == {"registries": ["ghcr.io/acme"], "strict": True}


def test_pyproject_errors_point_at_the_key_line(tmp_path: Path) -> None:
    text = "[project]\nname = 'x'\n\n[tool.kubelint]\nignore = ['KS102']\nfail_on = 'error'\n"
    message = config_error(tmp_path, text, "pyproject.toml")
    assert "pyproject.toml:6:1: unknown key 'fail_on' (did you mean 'fail-on'?)" in message
    text = "[tool.kubelint.severity]\nKS102 = 'eror'\n"
    assert "pyproject.toml:2:1: severity.KS102" in config_error(tmp_path, text, "pyproject.toml")


def test_starter_config_is_valid(tmp_path: Path) -> None:
    validate(read_config_file(write(tmp_path / ".kubelint.yaml", STARTER)))
    # Every commented-out example is valid too once uncommented.
    example = re.compile(r"# (?=[a-z][a-z-]*:|\s)")
    uncommented = "\n".join(line[2:] if example.match(line) else line for line in STARTER.splitlines())
    assert uncommented.count("\n# ") < STARTER.count("\n# ") - 10
    uncommented = uncommented.replace("RULE: {option: value}", "KS102: {}")
    validate(read_config_file(write(tmp_path / ".kubelint.yaml", uncommented)))


# --- merging -----------------------------------------------------------------------------------


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    write(tmp_path / ".kubelint.yaml", "select: [KS]\nignore: [KS501]\nfail-on: error\ndefault-namespace: apps\n"
                                       "baseline: base/known.json\nper-path-ignores: {charts/**: [all]}\n")
    config = build_config(["."], cwd=tmp_path, overrides={"select": ("DF",), "ignore": ("KS102",), "fail_on": None})
    assert config.select == ("DF",)
    assert config.ignore == ("KS501", "KS102")
    assert config.fail_on is None
    assert config.default_namespace == "apps"
    assert config.baseline == str(tmp_path / "base" / "known.json")
    assert config.config_path == str(tmp_path / ".kubelint.yaml")
    assert config.sources["select"] == "command line"
    assert config.sources["ignore"].endswith(".kubelint.yaml:2:1 + command line")
    assert config.sources["default_namespace"].endswith(".kubelint.yaml:4:1")
    shown = show_config(config)
    assert 'select: ["DF"]' in shown and "# command line" in shown
    assert "default-namespace: \"apps\"" in shown
    assert "max-file-size: 10485760" in shown and "# default" in shown


def test_cli_config_typo_exits_2_with_line(in_tmp: Path) -> None:
    write(in_tmp / ".kubelint.yaml", "# settings\nignore: [KS501]\nfail-onn: error\n")
    write(in_tmp / "compose.yaml", "services:\n  a:\n    image: x:1\n")
    result = invoke(["check", "."])
    assert result.exit_code == 2
    assert ".kubelint.yaml:3:1: unknown key 'fail-onn' (did you mean 'fail-on'?)" in result.output
    assert invoke(["check", ".", "--no-config"]).exit_code == 0


def test_cli_explicit_config_and_show_config(in_tmp: Path) -> None:
    write(in_tmp / "ci" / "strict.yaml", "fail-on: info\nseverity: {KS102: error}\n")
    write(in_tmp / ".kubelint.yaml", "fail-on: none\n")
    result = invoke(["check", ".", "--config", "ci/strict.yaml", "--show-config", "--ignore", "KS501"])
    assert result.exit_code == 0, result.output
    assert "# configuration file: " in result.output and "strict.yaml" in result.output
    assert "fail-on: info" in result.output and "ci/strict.yaml:1:1" in result.output
    assert 'severity: {"KS102": "error"}' in result.output
    assert 'ignore: ["KS501"]' in result.output
    missing = invoke(["check", ".", "--config", "nope.yaml"])
    assert missing.exit_code == 2 and "nope.yaml does not exist" in missing.output


def test_config_drives_the_run(in_tmp: Path) -> None:
    write(in_tmp / "compose.yaml", "services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    assert invoke(["check", "."]).exit_code == 1
    write(in_tmp / ".kubelint.yaml", "severity: {depends-on-undefined-service: info}\n")
    assert invoke(["check", "."]).exit_code == 0
    assert invoke(["check", ".", "--fail-on", "info"]).exit_code == 1
    write(in_tmp / ".kubelint.yaml", "ignore: [compose]\n")
    assert invoke(["check", "."]).exit_code == 0


def test_exclude_globs_are_relative_to_the_config_folder(in_tmp: Path) -> None:
    write(in_tmp / ".kubelint.yaml", "exclude: [apps/generated/**]\n")
    write(in_tmp / "apps" / "generated" / "compose.yaml", "services:\n  a:\n    image: x:1\n    depends_on: [b]\n")
    assert invoke(["check", "."]).exit_code == 0
    os.chdir(in_tmp / "apps")
    assert invoke(["check", "."]).exit_code == 0
    assert invoke(["check", ".", "--no-config"]).exit_code == 1


def test_init_writes_once(in_tmp: Path) -> None:
    result = invoke(["init"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / ".kubelint.yaml").read_text() == STARTER
    again = invoke(["init"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (in_tmp / ".kubelint.yaml").read_text() == STARTER
    assert invoke(["check", "."]).exit_code == 0
