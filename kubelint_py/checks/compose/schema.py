"""Compose files against the Compose Specification JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from kubelint_py.engine import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import ComposeFile, is_interpolated
from kubelint_py.schema_validation import Path, SchemaValidator, Wording, dotted

_SECTIONS = {"services": "service", "volumes": "volume", "networks": "network", "secrets": "secret",
             "configs": "config", "models": "model"}


@lru_cache(maxsize=1)
def compose_validator() -> SchemaValidator:
    text = resources.files("kubelint_py").joinpath("schemas/compose-spec.json").read_text(encoding="utf-8")
    return SchemaValidator(json.loads(text), strict=True)


def _where(path: Path) -> str:
    """`ports[0] of service 'web'`, `volume 'data'`, `the top level`."""
    if not path:
        return "the top level"
    section = _SECTIONS.get(str(path[0]))
    if section is None or len(path) < 2:
        return f"top-level '{dotted(path)}'" if len(path) == 1 else f"'{dotted(path)}'"
    owner = f"{section} '{path[1]}'"
    rest = dotted(path[2:])
    return f"{rest} of {owner}" if rest else owner


def _unknown(path: Path, key: str) -> str:
    if not path:
        return f"unknown top-level key '{key}'"
    return f"unknown key '{key}' in {_where(path)}"


_WORDING = Wording(where=_where, field="key", unknown=_unknown)


def _skip(value: Any, keyword: str) -> bool:
    # `${PORT}` where a number or a boolean is wanted: the value is only known when compose runs.
    return keyword not in ("additionalProperties", "required") and is_interpolated(value)


@rule(
    code="DC001", name="compose-schema-violation", target=Target.COMPOSE_FILE, severity=Severity.ERROR,
    summary="Compose file does not match the Compose Specification schema",
    rationale="docker compose validates every file against the Compose Specification and refuses to run a "
              "project with an unknown key (`prots:`), a wrong type or a missing required key; catching it "
              "in review is cheaper than at `docker compose up`.",
    fix="Correct the key or value at the reported position: the message names the expected key or type. "
        "Extension keys must start with `x-`.",
    tags=("correctness", "schema"),
)
def compose_schema_violation(compose: ComposeFile, ctx: RuleContext) -> Iterator[Violation]:
    validator = compose_validator()
    if validator.is_valid(compose.data):
        return
    for issue in validator.issues(compose.data, wording=_WORDING, skip=_skip):
        yield Violation(issue.message, compose.at(compose.data) if issue.span is None
                        else _location(compose, issue.span))


def _location(compose: ComposeFile, span: Any) -> Any:
    from kubelint_py.source import Location

    return Location.of(compose.path, span)
