"""Suggestions for misspelt rule codes and names, on the command line and in the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.engine.catalogue import all_rules, load_rules
from kubelint_py.engine.config import ConfigError
from kubelint_py.engine.config_file import build_config
from kubelint_py.engine.suggest import closest, closest_rule, edit_distance
from tests.cli_support import invoke


def test_edit_distance() -> None:
    assert edit_distance("ks1o2", "ks102", 3) == 1
    assert edit_distance("ks120", "ks102", 3) == 1, "a swap of neighbours is one edit"
    assert edit_distance("abc", "abc", 0) == 0
    assert edit_distance("short", "a-much-longer-word", 2) == 3, "stops past the limit"


def test_closest_rule_by_code_name_and_alias() -> None:
    load_rules()
    rules = all_rules()
    assert closest_rule("KS1O2", rules) == "KS102"
    assert closest_rule("ks102", rules) == "KS102"
    assert closest_rule("missing-readines-probe", rules) == "missing-readiness-probe"
    assert closest_rule("DL3007x", rules) is not None  # hadolint aliases count too
    assert closest_rule("banana", rules) is None, "nothing close: no random rule"
    assert closest_rule("x" * 500, rules) is None
    assert closest("KS1O2", []) is None


def test_command_line_suggests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["check", ".", "--select", "KS1O2"])
    assert result.exit_code == 2
    assert "KS1O2: did you mean KS102?" in result.stderr
    result = invoke(["check", ".", "--ignore", "no-such-rule-at-all"])
    assert result.exit_code == 2 and "did you mean" not in result.stderr
    assert "no rule matches 'no-such-rule-at-all'" in result.stderr


def test_configuration_suggests(tmp_path: Path) -> None:
    (tmp_path / ".kubelint.yaml").write_text("ignore: [KS1O2]\nparameters:\n  KS7O2: {}\n")
    with pytest.raises(ConfigError) as error:
        build_config(["."], cwd=tmp_path)
    message = str(error.value)
    assert ":1:10: no rule matches 'KS1O2' (did you mean 'KS102'?)" in message
    assert "parameters: no rule named 'KS7O2' (did you mean 'KS702'?)" in message
