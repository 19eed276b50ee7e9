"""Every rule against its fixtures: bad ones fire at exactly the marked lines, good ones stay clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelint_py.api import lint
from kubelint_py.engine.catalogue import all_rules
from kubelint_py.engine.config import Config
from kubelint_py.engine.registry import Target
from tests.fixture_support import Fixture, all_fixtures, expected_findings

FIXTURES = all_fixtures()

# Tool diagnostics that cannot be stored as a file in git (permissions, broken links, internal
# errors, encoding) are tested in test_robustness/test_load instead.
NO_FIXTURE_NEEDED = {"KL003", "KL005", "KL006", "KL007", "KL012", "KL013"}  # KL012/KL013: tests/test_security.py


def _run(fixture: Fixture) -> set[tuple[str, int, str]]:
    config = Config(select=(fixture.code,), fail_on=None)
    if fixture.k8s_version:
        config.k8s_version = fixture.k8s_version
    report = lint([str(fixture.path)], config)
    return {(str(Path(f.location.path).resolve()), f.location.line, f.code) for f in report.active}


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if f.bad], ids=lambda f: f.id)
def test_bad_fixture_fires_at_marked_lines(fixture: Fixture) -> None:
    expected = expected_findings(fixture)
    assert expected, f"{fixture.path} has no '# expect:' marker"
    assert _run(fixture) == expected


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if not f.bad], ids=lambda f: f.id)
def test_good_fixture_is_clean(fixture: Fixture) -> None:
    assert _run(fixture) == set()


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture_parses(fixture: Fixture) -> None:
    """A fixture that does not parse would make its own test pass for the wrong reason."""
    if fixture.code in ("KL001", "KL002", "KL004"):
        pytest.skip("this fixture is about a parse problem")
    report = lint([str(fixture.path)], Config(select=("KL001", "KL002", "KL004"), fail_on=None))
    assert [f for f in report.active] == []


def test_every_rule_has_bad_and_good_fixtures() -> None:
    codes_bad = {f.code for f in FIXTURES if f.bad}
    codes_good = {f.code for f in FIXTURES if not f.bad}
    missing = [r.code for r in all_rules() if r.code not in NO_FIXTURE_NEEDED
               and (r.code not in codes_bad or r.code not in codes_good)]
    assert missing == [], f"rules without a bad and a good fixture: {missing}"


def test_fixture_folders_name_real_rules() -> None:
    codes = {r.code for r in all_rules()}
    unknown = sorted({f.code for f in FIXTURES} - codes)
    assert unknown == []


def test_tool_rules_have_no_check_function() -> None:
    assert all(r.func is None for r in all_rules() if r.target is Target.NONE)
