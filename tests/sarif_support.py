"""Checks every SARIF log the test-suite produces: the official SARIF 2.1.0 schema (vendored under
schemas/), then GitHub code scanning's documented requirements, which the schema does not express."""

from __future__ import annotations

import io
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "sarif-schema-2.1.0.json"
GITHUB_MAX_RESULTS = 25_000
LEVELS = {"error", "warning", "note", "none"}
validated_count = 0
"""How many logs check_sarif has seen (a test checks that the conftest hook really runs)."""


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _text(obj: Any, where: str) -> str:
    assert isinstance(obj, dict), f"{where}: missing"
    text = obj.get("text")
    assert isinstance(text, str) and text.strip(), f"{where}.text must be a non-empty string"
    return text


def check_sarif(content: str | dict[str, Any]) -> dict[str, Any]:
    """Validate a SARIF log (text or parsed); return the parsed log. Fails the test on any problem."""
    global validated_count
    log: dict[str, Any] = json.loads(content) if isinstance(content, str) else content
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "SARIF schema violations:\n" + "\n".join(
        f"  {'/'.join(map(str, e.path))}: {e.message}" for e in errors[:20])
    assert log["version"] == "2.1.0"
    assert log["runs"], "at least one run"
    for run in log["runs"]:
        _check_run(run)
    validated_count += 1
    return log


def _check_run(run: dict[str, Any]) -> None:
    driver = run["tool"]["driver"]
    assert isinstance(driver.get("name"), str) and driver["name"].strip()
    assert isinstance(driver.get("version"), str) and driver["version"].strip(), "tool.driver.version"
    if "informationUri" in driver:  # left out unless a documentation URL is configured
        assert driver["informationUri"].startswith(("https://", "http://")), "an absolute URL"
    if "semanticVersion" in driver:
        assert re.fullmatch(r"\d+\.\d+\.\d+([-+].+)?", driver["semanticVersion"]), "SemVer 2.0"
    rules = driver.get("rules", [])
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), "rule ids are unique"
    for rule in rules:
        assert rule["id"].strip()
        for key in ("shortDescription", "fullDescription"):
            _text(rule.get(key), f"rule {rule['id']}.{key}")
        _text(rule.get("help"), f"rule {rule['id']}.help")
        assert rule["help"].get("markdown", "").strip(), "help.markdown"
        assert rule["defaultConfiguration"]["level"] in LEVELS
        props = rule.get("properties", {})
        assert props.get("precision") in {"very-high", "high", "medium", "low"}, "precision per rule"
        assert len(props.get("tags", [])) <= 20, "GitHub keeps at most 20 tags per rule"
        if "security-severity" in props:
            value = props["security-severity"]
            assert isinstance(value, str), "security-severity is a string"
            assert 0.1 <= float(value) <= 10.0
            assert "security" in props["tags"]
    bases = run.get("originalUriBaseIds", {})
    for base in bases.values():
        assert base["uri"].startswith("file://") and base["uri"].endswith("/"), "absolute folder URI"
    results = run.get("results", [])
    assert len(results) <= GITHUB_MAX_RESULTS
    assert run.get("columnKind") == "unicodeCodePoints"
    for result in results:
        rule_id = result["ruleId"]
        assert rule_id in ids, f"{rule_id} is described in tool.driver.rules"
        assert rules[result["ruleIndex"]]["id"] == rule_id, "ruleIndex points at the rule"
        assert result["level"] in LEVELS, "level is written explicitly"
        _text(result["message"], "result.message")
        assert len(result["locations"]) == 1
        _check_location(result["locations"][0], bases)
        related_ids = [r["id"] for r in result.get("relatedLocations", [])]
        assert len(related_ids) == len(set(related_ids))
        for ident in related_ids[:10]:  # linked from the message, which is how GitHub shows them
            assert f"]({ident})" in result["message"]["text"], "related location linked from the message"
        for related in result.get("relatedLocations", []):
            _check_location(related, bases)
            _text(related["message"], "relatedLocation.message")
        fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
        assert isinstance(fingerprint, str) and fingerprint.strip()
        for suppression in result.get("suppressions", []):
            assert "state" not in suppression
    for invocation in run["invocations"]:
        assert isinstance(invocation["executionSuccessful"], bool)
        for note in invocation.get("toolExecutionNotifications", []):
            _text(note["message"], "notification.message")


def _check_location(location: dict[str, Any], bases: dict[str, Any]) -> None:
    physical = location["physicalLocation"]
    artifact = physical["artifactLocation"]
    uri = artifact["uri"]
    assert isinstance(uri, str) and uri.strip()
    if "uriBaseId" in artifact:
        assert artifact["uriBaseId"] in bases, "uriBaseId is declared in originalUriBaseIds"
        assert not uri.startswith(("/", "file:")) and ".." not in uri.split("/"), "relative to the root"
    else:
        assert uri.startswith("file:///"), "absolute URIs only outside the root"
    region = physical["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1, "1-based regions"
    assert region["endLine"] >= region["startLine"]
    assert "endColumn" in region, "every region has an endColumn"
    if region["endLine"] == region["startLine"]:
        assert region["endColumn"] > region["startColumn"]


def check_every_sarif() -> None:
    """Wrap kubelint_py.report.sarif.write for the whole test session so that every log it writes goes
    through check_sarif: the CLI streams through write, and render writes through it too (both look the
    function up at call time). The stream still gets the log a piece at a time; a copy is checked."""
    from kubelint_py.report import sarif

    original = sarif.write
    if getattr(original, "checked_by_tests", False):
        return

    def write_and_check(report: Any, stream: Any, **kwargs: Any) -> None:
        copy = io.StringIO()

        class Tee:
            def write(self, text: str) -> int:
                copy.write(text)
                return int(stream.write(text) or 0)

            def __getattr__(self, name: str) -> Any:
                return getattr(stream, name)

        original(report, Tee(), **kwargs)
        check_sarif(copy.getvalue())

    write_and_check.checked_by_tests = True  # type: ignore[attr-defined]
    sarif.write = write_and_check  # type: ignore[assignment]
