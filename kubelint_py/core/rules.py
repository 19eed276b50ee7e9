"""What a rule is: its metadata (code, name, format, target, severity, documentation, parameters) and
its check function. The registry of rules is kubelint_py.engine.registry; this is only the record."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from kubelint_py.core.findings import Severity, Violation


class Target(enum.Enum):
    """What a rule is handed: the engine walks the models once and calls each rule on its target."""

    K8S_OBJECT = "kubernetes object"
    K8S_WORKLOAD = "kubernetes workload"
    K8S_CONTAINER = "kubernetes container"
    COMPOSE_FILE = "compose file"
    COMPOSE_SERVICE = "compose service"
    DOCKERFILE = "dockerfile"
    PROJECT = "project"
    NONE = "reported by the tool itself"


FORMATS = ("kubernetes", "compose", "dockerfile", "cross", "general")


class Parameter(NamedTuple):
    default: Any
    help: str


RuleFunc = Callable[[Any, Any], Iterable[Violation]]
"""A check: (its target, the engine's RuleContext) -> the violations it finds."""


class Rule(NamedTuple):
    code: str
    name: str
    format: str
    target: Target
    severity: Severity
    summary: str
    rationale: str
    fix: str
    tags: tuple[str, ...] = ()
    enabled_by_default: bool = True
    parameters: Mapping[str, Parameter] = MappingProxyType({})
    aliases: tuple[str, ...] = ()
    """Other names users may use for it: retired codes, and peer codes such as hadolint's DL3006."""
    func: RuleFunc | None = None
    autofix: str = ""
    """"safe" or "unsafe" when the rule attaches fixes to (some of) its findings; "" when it never does."""
    kinds: frozenset[str] | None = None
    """For a rule over Kubernetes objects: the only kinds it can report on. The runner does not call it for
    other objects (most rules of this target read one or two kinds, and a call that finds nothing still
    costs a generator); the function checks the kind itself too, for callers that call it directly."""

    @property
    def security(self) -> bool:
        return "security" in self.tags


def rule_matches(rule_obj: Rule, selector: str) -> bool:
    """True when a select/ignore entry names this rule: code, code prefix, name, alias, tag or 'all'."""
    key = selector.strip()
    if key.lower() == "all":
        return True
    upper = key.upper()
    if upper == rule_obj.code or key.lower() == rule_obj.name:
        return True
    if upper in (alias.upper() for alias in rule_obj.aliases):
        return True
    if key.lower() in rule_obj.tags or key.lower() == rule_obj.format:
        return True
    # A code prefix such as "KS" or "DF3" selects a family.
    return upper.isalnum() and not upper.isdigit() and rule_obj.code.startswith(upper) and len(upper) < len(
        rule_obj.code)
