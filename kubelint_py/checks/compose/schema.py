"""Compose files against the Compose Specification JSON Schema."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from kubelint_py.core.source import Location
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import ComposeFile, is_interpolated
from kubelint_py.schemas.validation import Path, SchemaValidator, Wording, dotted

_SECTIONS = {"services": "service", "volumes": "volume", "networks": "network", "secrets": "secret",
             "configs": "config", "models": "model"}


@lru_cache(maxsize=1)
def compose_validator() -> SchemaValidator:
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(package, "schemas", "compose-spec.json"), encoding="utf-8") as handle:
        text = handle.read()
    # `${PORT}` where an integer is wanted passes the fast check; `_skip` drops the same errors in detail.
    return SchemaValidator(json.loads(text), strict=True, unknowable=is_interpolated)


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
    if len(path) == 1 and str(path[0]) in _SECTIONS:
        return f"invalid {_SECTIONS[str(path[0])]} name '{key}' (use only letters, digits, '.', '_' and '-')"
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
    legacy = _legacy_services(compose, validator)
    if legacy:
        names = ", ".join(repr(k) for k in legacy[:3]) + (", ..." if len(legacy) > 3 else "")
        yield Violation(f"services are defined at the top level ({names}): this is "
                        "the legacy Compose file format v1, which docker compose v2 no longer reads; move them "
                        "under a top-level `services:` key",
                        compose.at(compose.data, legacy[0], on_key=True))
    for issue in validator.issues(compose.data, wording=_WORDING, skip=_skip):
        if issue.path and issue.path[0] in legacy:
            continue
        if issue.path == ("version",):
            continue  # obsolete and ignored by docker compose v2, whatever its type (`version: 3.8`)
        yield Violation(issue.message, Location.of(compose.path, issue.span) if issue.span is not None
                        else compose.location)


def _legacy_services(compose: ComposeFile, validator: SchemaValidator) -> list[str]:
    """Top-level keys that are services of a v1 file (no `services:`, mappings with image or build)."""
    data = compose.data
    if "services" in data:
        return []
    known = validator.schema.get("properties") or {}
    return [str(key) for key, value in data.items()
            if key not in known and not str(key).startswith("x-") and isinstance(value, dict)
            and ("image" in value or "build" in value)]
