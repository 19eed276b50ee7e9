"""Rule documentation: explain, `rules --format json` and the generated docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

from kubelint_py.engine.catalogue import all_rules, find_rule
from kubelint_py.engine.registry import Parameter
from kubelint_py.report.rule_docs import explain_text, rules_markdown
from tests.cli_support import invoke
from tests.rule_support import temporary_rule

ROOT = Path(__file__).resolve().parent.parent


def test_docs_rules_md_is_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(), "docs/rules.md is stale: run `python -m kubelint_py.report.rule_docs README.md`"


def test_rules_md_documents_every_rule_with_its_parts() -> None:
    text = rules_markdown()
    for rule in all_rules():
        assert f"### {rule.code} `{rule.name}`" in text
        assert rule.rationale in text and rule.fix in text
    assert "also known as: `DL3006`, `DL3007`" in text
    assert "## Dockerfile" in text and "## Kubernetes" in text and "## Docker Compose" in text
    # Fixture markers are turned into plain pointers.
    assert "# expect" not in text and "# <-- KS102" in text


def test_explain_shows_options_suppression_and_examples() -> None:
    params = {"registries": Parameter(["docker.io"], "registries base images may come from")}
    with temporary_rule(parameters=params) as rule_obj:
        text = explain_text(rule_obj)
        assert 'registries (default ["docker.io"]): registries base images may come from' in text
        assert "`parameters:` > `test-run-end`" in text
        doc = rules_markdown()
        assert '| `registries` | `["docker.io"]` | registries base images may come from |' in doc
        listing = json.loads(invoke(["rules", "--format", "json"]).output)
        entry = next(r for r in listing if r["code"] == "DF999")
        assert entry["parameters"] == {"registries": {"default": ["docker.io"],
                                                      "help": "registries base images may come from"}}
    found = find_rule("DF301")
    assert found is not None
    text = explain_text(found)
    assert "Suppress with `# kubelint: ignore=DF301` on the line above the instruction." in text
    assert "Example (bad)" in text and "Use instead (good)" in text
    assert "expect-next-line" not in text


def test_explain_cli_by_alias_and_name() -> None:
    result = invoke(["explain", "DL3007"])
    assert result.exit_code == 0 and result.output.startswith("DF301 base-image-unpinned")
    result = invoke(["explain", "unused-suppression"])
    assert result.exit_code == 0 and "KL007" in result.output
