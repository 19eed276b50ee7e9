"""Rules, their registry, and the Finding type.

A rule is a function decorated with `@rule(...)`: its metadata (code, name, severity, summary,
rationale, fix, tags, parameters) lives beside its logic, and everything else (`rules`, `explain`, the
README table, SARIF's rule metadata) reads it from here. Rules yield Violations (message + location);
the engine, not the rule, turns them into Findings with code and severity.

Rule modules are found by walking the `kubelint_py.checks.<format>` packages, and only the formats a
run needs are imported.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from kubelint_py.parsing.source import Location

if TYPE_CHECKING:
    from kubelint_py.engine.config import Config
    from kubelint_py.engine.index import ProjectIndex


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity '{text}' (use error, warning or info)") from None


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


class Related(NamedTuple):
    location: Location
    message: str


class Violation(NamedTuple):
    """What a rule yields: what is wrong and where. The engine adds code and severity."""

    message: str
    location: Location
    related: tuple[Related, ...] = ()


class Suppression(NamedTuple):
    """Why a finding is silenced. kind follows SARIF: inSource (a comment or annotation) or external
    (config, baseline)."""

    kind: str
    justification: str = ""


class Finding(NamedTuple):
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    related: tuple[Related, ...] = ()
    suppressed: Suppression | None = None
    """None when active; otherwise how and why it was suppressed."""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.message)


class Parameter(NamedTuple):
    default: Any
    help: str


RuleFunc = Callable[[Any, "RuleContext"], Iterable[Violation]]


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

    @property
    def security(self) -> bool:
        return "security" in self.tags


@dataclass
class RuleContext:
    """What a rule may look at besides its target. Rules do no I/O."""

    index: ProjectIndex
    config: Config
    params: Mapping[str, Any]


_REGISTRY: dict[str, Rule] = {}
_BY_NAME: dict[str, Rule] = {}
_LOADED_FORMATS: set[str] = set()

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
) -> Callable[[F], F]:
    """Declare a rule; the decorated function yields Violations for one target."""

    def decorate(func: F) -> F:
        fmt = format or _format_of_module(func.__module__)
        register(Rule(code=code, name=name, format=fmt, target=target, severity=severity,
                      summary=summary, rationale=rationale, fix=fix, tags=tags,
                      enabled_by_default=enabled_by_default, parameters=dict(parameters or {}),
                      aliases=aliases, func=func))
        return func

    return decorate


def _format_of_module(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "checks" and parts[2] in FORMATS:
        return parts[2]
    return "general"


def load_rules(formats: Iterable[str] = FORMATS, *, builtin_policies: bool = True) -> None:
    """Import the rule modules of the given formats (once each) and, unless told not to, register the
    shipped declarative policies (rules/*.yaml) of those formats."""
    importlib.import_module("kubelint_py.engine.diagnostics")
    for fmt in formats:
        if fmt == "general":
            continue
        if fmt not in _LOADED_FORMATS:
            _LOADED_FORMATS.add(fmt)
            package_name = f"kubelint_py.checks.{fmt}"
            package = importlib.import_module(package_name)
            for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if not module.name.startswith("_"):
                    importlib.import_module(f"{package_name}.{module.name}")
        if builtin_policies and fmt in ("kubernetes", "compose", "dockerfile"):
            importlib.import_module("kubelint_py.engine.policies").register_builtin(fmt)  # once per format


def all_rules() -> list[Rule]:
    load_rules()
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


def loaded_rules() -> list[Rule]:
    return sorted(_REGISTRY.values(), key=lambda r: r.code)


def find_rule(code_or_name: str) -> Rule | None:
    load_rules()
    key = code_or_name.strip()
    found = _REGISTRY.get(key.upper()) or _BY_NAME.get(key.lower())
    if found is not None:
        return found
    for candidate in _REGISTRY.values():
        if key.upper() in (alias.upper() for alias in candidate.aliases):
            return candidate
    return None


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
