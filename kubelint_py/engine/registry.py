"""The rule registry, and what a rule module imports to declare a rule.

A rule is a function decorated with `@rule(...)`: its metadata (code, name, severity, summary,
rationale, fix, tags, parameters) lives beside its logic, and everything else (`rules`, `explain`, the
README table, SARIF's rule metadata) reads it from the registry. Rules yield Violations (message +
location); the engine, not the rule, turns them into Findings with code and severity.

The types (Severity, Violation, Finding, Rule, ...) are defined in kubelint_py.core and re-exported
here so that a rule module has one import. Which rule modules are loaded, and when, is
kubelint_py.engine.catalogue's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from kubelint_py.core.findings import (
    SAFE,
    UNSAFE,
    Edit,
    Finding,
    Fix,
    Incomplete,
    Related,
    Severity,
    Suppression,
    Violation,
)
from kubelint_py.core.rules import FORMATS, Parameter, Rule, RuleFunc, Target, rule_matches

if TYPE_CHECKING:
    from kubelint_py.engine.config import Config
    from kubelint_py.engine.index import ProjectIndex

__all__ = [
    "FORMATS", "SAFE", "UNSAFE", "Edit", "Finding", "Fix", "Incomplete", "Parameter", "Related", "Rule", "RuleContext",
    "RuleFunc", "Severity", "Suppression", "Target", "Violation", "loaded_rules", "register", "registered", "rule",
    "rule_matches", "unregister",
]


@dataclass
class RuleContext:
    """What a rule may look at besides its target. Rules do no I/O."""

    index: ProjectIndex
    config: Config
    params: Mapping[str, Any]


_REGISTRY: dict[str, Rule] = {}
_BY_NAME: dict[str, Rule] = {}

F = TypeVar("F", bound=RuleFunc)


def register(rule_obj: Rule) -> Rule:
    existing = _REGISTRY.get(rule_obj.code) or _BY_NAME.get(rule_obj.name)
    if existing is not None and existing is not rule_obj:
        raise RuntimeError(f"rule {rule_obj.code} ({rule_obj.name}) clashes with {existing.code} ({existing.name})")
    _REGISTRY[rule_obj.code] = rule_obj
    _BY_NAME[rule_obj.name] = rule_obj
    return rule_obj


def unregister(rule_obj: Rule) -> None:
    """Remove a rule (user policies are swapped when the configuration names other policy files)."""
    if _REGISTRY.get(rule_obj.code) is rule_obj:
        del _REGISTRY[rule_obj.code]
    if _BY_NAME.get(rule_obj.name) is rule_obj:
        del _BY_NAME[rule_obj.name]


def rule(
    *,
    code: str,
    name: str,
    target: Target,
    severity: Severity,
    summary: str,
    rationale: str,
    fix: str,
    tags: tuple[str, ...] = (),
    enabled_by_default: bool = True,
    parameters: Mapping[str, Parameter] | None = None,
    aliases: tuple[str, ...] = (),
    format: str | None = None,
    autofix: str = "",
    kinds: Iterable[str] | None = None,
) -> Callable[[F], F]:
    """Declare a rule; the decorated function yields Violations for one target."""

    def decorate(func: F) -> F:
        fmt = format or _format_of_module(func.__module__)
        register(Rule(code=code, name=name, format=fmt, target=target, severity=severity,
                      summary=summary, rationale=rationale, fix=fix, tags=tags,
                      enabled_by_default=enabled_by_default, parameters=dict(parameters or {}),
                      aliases=aliases, func=func, autofix=autofix,
                      kinds=frozenset(kinds) if kinds is not None else None))
        return func

    return decorate


def _format_of_module(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "checks" and parts[2] in FORMATS:
        return parts[2]
    return "general"


def loaded_rules() -> list[Rule]:
    """The rules registered so far (see catalogue.load_rules), by code."""
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


def registered(code_or_name: str) -> Rule | None:
    """A registered rule by code, name or alias (catalogue.find_rule loads every rule first)."""
    key = code_or_name.strip()
    found = _REGISTRY.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is not None:
        return found
    for candidate in _REGISTRY.values():
        if key.upper() in (alias.upper() for alias in candidate.aliases):
            return candidate
    return None
