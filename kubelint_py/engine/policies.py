"""Declarative policies: rules written in YAML with JSON Schema, no Python needed.

A policy file holds one policy per YAML document (format: kubelint_py/schemas/policy.json, guide:
docs/policies.md). Each policy becomes an ordinary engine.Rule, so selection, severity overrides,
suppressions, `rules`, `explain` and SARIF treat it like a built-in rule.

- The built-in catalogue (rules/ in a checkout, kubelint_py/data/rules/ in an installed wheel) is read
  when a run first needs its format (engine.catalogue.load_rules calls register_builtin).
- User policies (Config.policies: files or folders) are registered by use_user_policies, which the
  pipeline calls; their codes must not clash with built-in ones.

jsonschema is imported only when a policy file is validated or a policy first runs.
"""

from __future__ import annotations

import fnmatch
import json
import re
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kubelint_py.core.source import Location, Span
from kubelint_py.engine.config import ConfigError
from kubelint_py.engine.registry import Parameter, Rule, RuleContext, Severity, Target, Violation, register, unregister
from kubelint_py.models.images import canonical_repository
from kubelint_py.models.located import YList, YMap, span_at
from kubelint_py.models.quantity import parse_quantity

if TYPE_CHECKING:  # the models of the other formats are imported only by runs that have such files
    from kubelint_py.models.compose import ComposeService
    from kubelint_py.models.dockerfile import Dockerfile, Instruction
    from kubelint_py.models.kubernetes import Container, Resource, Workload

_T = TypeVar("_T")
PACKAGE_DIR = Path(__file__).resolve().parent.parent
POLICY_SCHEMA = PACKAGE_DIR / "schemas" / "policy.json"
POLICY_FORMATS = ("kubernetes", "compose", "dockerfile")
BUILTIN_PREFIXES = {"kubernetes": "KS7", "compose": "DC7", "dockerfile": "DF7"}

_TARGETS: dict[str, tuple[Target, str]] = {
    "object": (Target.K8S_OBJECT, "kubernetes"),
    "podSpec": (Target.K8S_WORKLOAD, "kubernetes"),
    "container": (Target.K8S_CONTAINER, "kubernetes"),
    "service": (Target.COMPOSE_SERVICE, "compose"),
    "instruction": (Target.DOCKERFILE, "dockerfile"),
}
PLACEHOLDERS = ("name", "kind", "namespace", "container", "service", "instruction", "value", "path", "detail")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INLINE_FLAG_HINT = (
    "Python's `re` (3.11+) accepts inline global flags such as (?i) only at the very start of a pattern; "
    "Go (Polaris, Datree, OPA) and JavaScript accept them anywhere. Move the flag to the start, or scope "
    "it to a group: (?i:...)")


def builtin_catalogue() -> Path | None:
    """The shipped policies: package data in an installed wheel, else rules/ of the source checkout."""
    for folder in (PACKAGE_DIR / "data" / "rules", PACKAGE_DIR.parent / "rules"):
        if folder.is_dir():
            return folder
    return None


# --- the policy model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """One validated policy document."""

    source: str
    doc: YMap
    code: str
    name: str
    format: str
    target_type: str
    init_containers: bool
    instructions: frozenset[str]
    message: str | None
    params: dict[str, Parameter] = field(default_factory=dict)

    def location(self, *path: Any, key: bool = False) -> str:
        span = span_at(self.doc, path, key=key) or self.doc.span
        return f"{self.source}:{span.line}:{span.column}"


def _policy_error(path: str, span: Span | None, message: str) -> ConfigError:
    line, column = (span.line, span.column) if span is not None else (1, 1)
    return ConfigError(f"{path}:{line}:{column}: policy error: {message}")


def policy_files(paths: Iterable[str]) -> list[Path]:
    """The YAML files named by Config.policies (folders are searched recursively), in a stable order."""
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigError(f"policies: '{entry}' is neither a file nor a folder")
    return found


def load_policy_file(path: Path, *, validate: bool = True) -> list[Policy]:
    """Read and check one policy file; every problem is a ConfigError naming file:line:col."""
    from kubelint_py.engine.reading import read_text
    from kubelint_py.parsing.yaml import load_yaml

    shown = str(path)
    try:
        text = read_text(path, "policy file")
    except FileNotFoundError as error:
        raise ConfigError(f"{shown}: cannot read policy file: {error}") from None
    stream = load_yaml(text, "yaml12")
    if stream.problems:
        problem = stream.problems[0]
        raise _policy_error(shown, problem.span, problem.message)
    policies: list[Policy] = []
    for document in stream.documents:
        if document.value is None:
            continue
        if not isinstance(document.value, YMap):
            raise _policy_error(shown, document.span, "a policy document must be a mapping")
        policies.append(_build_policy(shown, document.value, validate=validate))
    return policies


def _build_policy(source: str, doc: YMap, *, validate: bool) -> Policy:
    if validate:
        _check_against_policy_schema(source, doc)
    target_node = doc["target"]
    target_map = target_node if isinstance(target_node, YMap) else None
    target_type = str(target_map["type"] if target_map is not None else target_node)
    fmt = str(doc["match"]["format"])
    if _TARGETS[target_type][1] != fmt:
        raise _policy_error(source, doc.value_span("target"),
                            f"target '{target_type}' does not apply to format '{fmt}' (use "
                            + ", ".join(t for t, (_, f) in _TARGETS.items() if f == fmt) + ")")
    params: dict[str, Parameter] = {}
    params_node = doc.get_map("params")
    for name, spec in (params_node or {}).items():
        params[str(name)] = Parameter(default=_plain(spec["default"]), help=str(spec.get("help", "")))
    message = doc.get_str("message")
    policy = Policy(
        source=source, doc=doc, code=str(doc["code"]), name=str(doc["name"]), format=fmt, target_type=target_type,
        init_containers=bool(target_map.get("initContainers", False)) if target_map is not None else False,
        instructions=frozenset(str(i).upper() for i in (target_map.get("instructions") or ()))
        if target_map is not None else frozenset(),
        message=message, params=params)
    if validate:
        _check_policy_semantics(policy)
    return policy


def _check_against_policy_schema(source: str, doc: YMap) -> None:
    from jsonschema.exceptions import best_match

    errors = list(_policy_validator().iter_errors(doc))
    if not errors:
        return
    error = best_match(errors)
    path = tuple(error.absolute_path)
    if error.validator == "anyOf" and not path:
        message = "a policy needs `schema` (must hold), `forbid` (must not match) or `exists` (cross-object)"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = [key for key in error.instance if key not in known]
        if extra:
            path = (*path, extra[0])
        allowed = ", ".join(sorted(known))
        message = f"unknown key '{_dotted(path)}'" + (f" (allowed here: {allowed})" if allowed else "")
        raise _policy_error(source, span_at(doc, path, key=True), message)
    else:
        detail = error.message
        if error.validator in ("oneOf", "anyOf"):
            # `target: objekt`: say which values are allowed rather than "not valid under any of the schemas"
            enums = [e for e in error.context if e.validator == "enum" and not e.relative_path]
            if enums:
                detail = enums[0].message
        message = f"{_dotted(path) or 'policy'}: {detail}"
    span = span_at(doc, path, key=error.validator == "required")
    raise _policy_error(source, span, message)


@cache
def _policy_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(POLICY_SCHEMA.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _check_policy_semantics(policy: Policy) -> None:
    """Checks a JSON Schema cannot express: the embedded schemas, regexes, parameters, placeholders."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    doc = policy.doc
    defaults = {n: p.default for n, p in policy.params.items()}
    for section in _schema_sections(doc):
        schema = _section(doc, section)
        for path, node in _walk_schema(schema, section):
            if isinstance(node, YMap) and set(node) == {"$param"} and node["$param"] not in policy.params:
                raise _policy_error(policy.source, span_at(doc, path),
                                    f"unknown parameter '{node['$param']}' (declare it under `params`)")
        errors = list(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(
            _substitute(schema, defaults, strict=False)))
        if errors:
            error = best_match(errors)
            path = (*section, *error.absolute_path)
            raise _policy_error(policy.source, span_at(doc, path),
                                f"{_dotted(path)} is not a valid JSON Schema: {error.message}")
        for path, node in _walk_schema(schema, section):
            if not isinstance(node, YMap) or set(node) == {"$param"}:
                continue
            for keyword in ("$ref", "$dynamicRef"):
                ref = node.get(keyword)
                if isinstance(ref, str) and not ref.startswith("#"):
                    raise _policy_error(policy.source, span_at(doc, (*path, keyword)),
                                        f"{keyword} '{ref}': only references inside the policy's schema "
                                        "(#/$defs/...) are supported; nothing is fetched at lint time")
            if isinstance(node.get("pattern"), str):
                _check_regex(policy, (*path, "pattern"), node["pattern"])
            pattern_props = node.get_map("patternProperties")
            for regex in pattern_props or ():
                _check_regex(policy, (*path, "patternProperties", regex), str(regex), key=True)
            for keyword in ("quantityMinimum", "quantityMaximum"):
                bound = _substitute(node.get(keyword), defaults, strict=False)
                if keyword in node and parse_quantity(bound) is None:
                    raise _policy_error(policy.source, span_at(doc, (*path, keyword)),
                                        f"{keyword}: '{bound}' is not a Kubernetes quantity (e.g. 500m, 2Gi)")
    for key in ("message",):
        _check_placeholders(policy, (key,))
    match = doc.get_map("match")
    if match is not None and "minReplicas" in match and policy.format != "kubernetes":
        raise _policy_error(policy.source, match.key_span("minReplicas"),
                            "match.minReplicas counts a workload's pods: it needs `format: kubernetes`")
    exists = doc.get_map("exists")
    if exists is not None:
        if policy.target_type != "object":
            raise _policy_error(policy.source, doc.key_span("exists"),
                                "`exists` needs `target: object` (the object whose namespace and pods are checked)")
        if "message" in exists:
            _check_placeholders(policy, ("exists", "message"))


def _check_placeholders(policy: Policy, path: tuple[str, ...]) -> None:
    node: Any = policy.doc
    for step in path:
        node = node.get(step) if isinstance(node, YMap) else None
    if not isinstance(node, str):
        return
    for match in _PLACEHOLDER.finditer(node):
        if match.group(1) not in PLACEHOLDERS:
            raise _policy_error(policy.source, span_at(policy.doc, path),
                                f"unknown placeholder {{{match.group(1)}}} in message "
                                f"(use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})")


def _check_regex(policy: Policy, path: tuple[Any, ...], pattern: str, *, key: bool = False) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        hint = f" ({_INLINE_FLAG_HINT})" if "global flags not at the start" in str(error) else ""
        raise _policy_error(policy.source, span_at(policy.doc, path, key=key),
                            f"invalid regular expression {pattern!r}: {error}{hint}") from None
    from kubelint_py.core.regex import available, compile_linear

    if available() and compile_linear(pattern) is None:
        raise _policy_error(policy.source, span_at(policy.doc, path, key=key),
                            f"regular expression {pattern!r} is not supported: patterns are matched by RE2, in "
                            "linear time, which has no lookaround and no backreferences")


def _schema_sections(doc: YMap) -> list[tuple[str, ...]]:
    sections: list[tuple[str, ...]] = [(name,) for name in ("when", "schema", "forbid") if name in doc]
    exists = doc.get_map("exists")
    if exists is not None and "schema" in exists:
        sections.append(("exists", "schema"))
    return sections


def _section(doc: YMap, path: tuple[str, ...]) -> Any:
    node: Any = doc
    for step in path:
        node = node[step]
    return node


def _walk_schema(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every mapping and list in a schema with its path; stops at {$param: ...} and at `const`/`enum`
    values (data, not schemas)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [(path, node)]
    while stack:
        here, value = stack.pop()
        yield here, value
        if isinstance(value, YMap):
            if set(value) == {"$param"}:
                continue
            for key, child in value.items():
                if key in ("const", "enum", "default", "examples") or not isinstance(child, YMap | YList):
                    continue
                if key == "properties" and isinstance(child, YMap):
                    # property names are data; their values are schemas
                    stack.extend(((*here, key, name), sub) for name, sub in child.items())
                    continue
                stack.append(((*here, key), child))
        elif isinstance(value, YList):
            stack.extend(((*here, i), item) for i, item in enumerate(value))


def _plain(value: Any) -> Any:
    """YMap/YList -> dict/list (parameter defaults are shown and compared as plain data)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _substitute(node: Any, params: Mapping[str, Any], *, strict: bool = True) -> Any:
    """A plain copy of a schema with every {$param: NAME} replaced by the parameter's value."""
    if isinstance(node, dict):
        if set(node) == {"$param"}:
            name = node["$param"]
            if name in params:
                return _plain(params[name])
            if strict:
                raise KeyError(f"unknown parameter '{name}'")
            return {}
        return {k: _substitute(v, params, strict=strict) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, params, strict=strict) for v in node]
    return node


def _dotted(path: Sequence[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


# --- evaluation ---------------------------------------------------------------------------------


def _quantity_keyword(limit_kind: str) -> Callable[[Any, Any, Any, Any], Iterator[Any]]:
    def check(validator: Any, bound: Any, instance: Any, schema: Any) -> Iterator[Any]:
        from jsonschema.exceptions import ValidationError

        if isinstance(instance, bool) or not isinstance(instance, str | int | float):
            return
        value, limit = parse_quantity(instance), parse_quantity(bound)
        if limit is None:
            return
        if value is None:
            yield ValidationError(f"{instance!r} is not a Kubernetes quantity")
        elif limit_kind == "min" and value < limit:
            yield ValidationError(f"{instance} is less than the minimum of {bound}")
        elif limit_kind == "max" and value > limit:
            yield ValidationError(f"{instance} is greater than the maximum of {bound}")

    return check


def _registry_keyword(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not isinstance(instance, str) or not isinstance(allowed, list) or "$" in instance:
        return  # ${VAR} / $(VAR) references are resolved at deploy time: nothing to judge here
    repository = canonical_repository(instance.strip())
    for entry in allowed:
        prefix = str(entry).rstrip("/")
        if repository == prefix or repository.startswith(prefix + "/"):
            return
    yield ValidationError(f"image '{instance}' ({repository}) is not from an allowed registry "
                          f"({', '.join(str(a) for a in allowed)})")


@cache
def _validator_class() -> Any:
    """Draft 2020-12 plus quantityMinimum/quantityMaximum, imageRegistryIn and the `quantity` format."""
    from jsonschema import Draft202012Validator, validators

    from kubelint_py.schemas.validation import linear_keywords

    # Patterns (policy files come with the pull request) are matched in linear time by RE2.
    return validators.extend(Draft202012Validator, {
        **linear_keywords(),
        "quantityMinimum": _quantity_keyword("min"),
        "quantityMaximum": _quantity_keyword("max"),
        "imageRegistryIn": _registry_keyword,
    })


@cache
def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker()
    checker.checks("quantity")(lambda value: not isinstance(value, str) or parse_quantity(value) is not None)
    return checker


class _Subject:
    """What one policy evaluates: the data, where its fields are written, and the message fields
    (built only when there is a finding: most targets pass)."""

    __slots__ = ("_anchor", "_fields", "_make_anchor", "_make_fields", "data", "fixed", "path")

    def __init__(self, data: Any, path: str, anchor: Callable[[], Location],
                 fields: Callable[[], dict[str, str]], fixed: Span | None = None) -> None:
        self.data = data
        self.path = path
        self._make_anchor = anchor
        self._make_fields = fields
        self._anchor: Location | None = None
        self._fields: dict[str, str] | None = None
        self.fixed = fixed
        """Every field maps to this span (Dockerfile instructions have no per-field positions)."""

    @property
    def anchor(self) -> Location:
        if self._anchor is None:
            self._anchor = self._make_anchor()
        return self._anchor

    @property
    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = self._make_fields()
        return self._fields

    def location(self, path: Sequence[Any], *, key: bool = False) -> Location:
        if self.fixed is not None:
            return Location.of(self.path, self.fixed)
        if not path:
            return self.anchor
        span = span_at(self.data, tuple(path), key=key)
        return Location.of(self.path, span) if span is not None else self.anchor


class _Compiled:
    """A policy's validators, compiled once per distinct set of parameter values."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._cache: dict[str, dict[str, Any]] = {}
        self._last_params: Mapping[str, Any] | None = None
        self._last: dict[str, Any] | None = None

    def validators(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if params is self._last_params and self._last is not None:
            return self._last  # the same RuleContext.params for every target of a run
        found = self._for(params)
        self._last_params, self._last = params, found
        return found

    def _for(self, params: Mapping[str, Any]) -> dict[str, Any]:
        for name, parameter in self.policy.params.items():
            value, default = params.get(name, parameter.default), parameter.default
            if _json_type(value) != _json_type(default):
                raise ValueError(f"parameter '{name}' of {self.policy.code} must be a {_json_type(default)} like "
                                 f"its default {default!r}, not {value!r} (check the configuration)")
        key = json.dumps(params, sort_keys=True, default=str)
        found = self._cache.get(key)
        if found is None:
            cls, checker = _validator_class(), _format_checker()
            found = {}
            for section in _schema_sections(self.policy.doc):
                schema = _substitute(_section(self.policy.doc, section), params)
                found[".".join(section)] = cls(schema, format_checker=checker)
            self._cache[key] = found
        return found


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "null"


def _render(template: str, fields: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), template)


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        text = json.dumps(_plain(value), default=str, separators=(", ", ": "))
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _default_message(policy: Policy, subject: _Subject) -> str:
    f = subject.fields
    where = {
        "container": f"container '{f['container']}' of {f['kind']} '{f['name']}'",
        "service": f"service '{f['service']}'",
        "instruction": f"{f['instruction']} instruction",
    }.get(policy.target_type, f"{f['kind']} '{f['name']}'")
    return f"{where}: {policy.name}: {{detail}}"


def _schema_violations(policy: Policy, validator: Any, subject: _Subject) -> Iterator[Violation]:
    template = policy.message or _default_message(policy, subject)
    missing: dict[tuple[Any, ...], list[str]] = {}
    seen: set[tuple[int, int, str]] = set()
    for error in validator.iter_errors(subject.data):
        path = tuple(error.absolute_path)
        if error.validator == "required":
            instance = error.instance if isinstance(error.instance, dict) else {}
            names = [deep for n in error.validator_value if n not in instance
                     for deep in _deep_required(error.schema, str(n))]
            if path in missing:
                continue
            missing[path] = names
            location = subject.location(path, key=True)
            value = ", ".join(names)
        else:
            location = subject.location(path)
            value = _show(error.instance)
        fields = {**subject.fields, "value": value, "path": _dotted(path) or ".",
                  "detail": error.message if len(error.message) <= 160 else error.message[:157] + "..."}
        message = _render(template, fields)
        key = (location.line, location.column, message)
        if key in seen:
            continue
        seen.add(key)
        yield Violation(message, location)


def _deep_required(schema: Any, name: str) -> list[str]:
    """What a missing property stands for: `labels` missing where labels must hold `team` -> [team]."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    sub = props.get(name) if isinstance(props, dict) else None
    required = sub.get("required") if isinstance(sub, dict) else None
    if isinstance(required, list) and required:
        return [deep for inner in required for deep in _deep_required(sub, str(inner))]
    return [name]


def _deepest_match(validator: Any, schema: Any, instance: Any, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """The deepest field that makes `instance` match `schema` (for `forbid` findings)."""
    if not isinstance(schema, dict):
        return path
    best = path
    candidates: list[tuple[Any, ...]] = []
    props = schema.get("properties")
    if isinstance(props, dict) and isinstance(instance, dict):
        for name, sub in props.items():
            if name in instance:
                candidates.append(_deepest_match(validator, sub, instance[name], (*path, name)))
    if isinstance(instance, list):
        for keyword in ("contains", "items"):
            sub = schema.get(keyword)
            if isinstance(sub, dict):
                for index, item in enumerate(instance):
                    if validator.evolve(schema=sub).is_valid(item):
                        candidates.append(_deepest_match(validator, sub, item, (*path, index)))
                        break
    for keyword in ("allOf", "anyOf", "oneOf"):
        subs = schema.get(keyword)
        for sub in subs if isinstance(subs, list) else ():
            if validator.evolve(schema=sub).is_valid(instance):
                candidates.append(_deepest_match(validator, sub, instance, path))
                if keyword != "allOf":
                    break
    for candidate in candidates:
        if len(candidate) > len(best):
            best = candidate
    return best


def _forbid_violations(policy: Policy, validator: Any, subject: _Subject) -> Iterator[Violation]:
    if not validator.is_valid(subject.data):
        return
    path = _deepest_match(validator, validator.schema, subject.data, ())
    value: Any = subject.data
    for step in path:
        value = value[step]
    fields = {**subject.fields, "value": _show(value), "path": _dotted(path) or ".",
              "detail": f"{_dotted(path) or 'the target'} matches a forbidden pattern"}
    yield Violation(_render(policy.message or _default_message(policy, subject), fields), subject.location(path))


class _CoverCache:
    """Per run (per ProjectIndex): the candidate objects of an `exists` condition, by namespace."""

    def __init__(self) -> None:
        self.index_ref: Callable[[], Any] | None = None
        self.by_namespace: dict[str | None, list[Resource]] = {}


def _exists_violations(policy: Policy, validator: Any | None, resource: Resource, ctx: RuleContext,
                       cache: _CoverCache, subject: _Subject) -> Iterator[Violation]:
    from kubelint_py.models.kubernetes import LabelSelector

    exists = policy.doc["exists"]
    kind = str(exists["kind"])
    index = ctx.index
    if cache.index_ref is None or cache.index_ref() is not index:
        # a new run: candidates that satisfy the schema, grouped by namespace, computed once per run
        cache.index_ref = weakref.ref(index)
        cache.by_namespace = {}
        for other in index.of_kind(kind):
            if validator is None or validator.is_valid(other.body):
                cache.by_namespace.setdefault(index.namespace_of(other), []).append(other)
    namespace = resource.name if resource.kind == "Namespace" else index.namespace_of(resource)
    selector_path = exists.get_list("selector")
    labels = resource.workload.pod_labels if resource.workload is not None else resource.labels
    for other in cache.by_namespace.get(namespace, ()):
        if selector_path is None:
            return
        node: Any = other.body
        for step in selector_path:
            node = node.get(step) if isinstance(node, YMap) else None
        selector = LabelSelector.parse(node, plain=exists.get("selectorType") == "map")
        if selector is not None and selector.matches(labels):
            return
    template = exists.get_str("message") or policy.message or (
        f"{{kind}} '{{name}}' has no {kind} in namespace '{{namespace}}'"
        + (" that selects its pods" if selector_path is not None else ""))
    fields = {**subject.fields, "value": kind, "path": ".", "detail": f"no matching {kind}"}
    yield Violation(_render(template, fields), resource.location)


class _Matcher:
    """`match`, turned into sets and a parsed selector once per policy."""

    def __init__(self, match: YMap) -> None:
        def names(key: str) -> tuple[str, ...] | None:
            found = match.get_list(key)
            return None if found is None else tuple(str(item) for item in found)

        from kubelint_py.models.kubernetes import LabelSelector

        kinds = names("kinds")
        self.kinds = None if kinds is None or "*" in kinds else frozenset(kinds)
        self.exclude_kinds = frozenset(names("excludeKinds") or ())
        self.namespaces = names("namespaces")
        self.exclude_namespaces = names("excludeNamespaces")
        self.selector = LabelSelector.parse(match.get_map("labels"))
        self.services = names("services")
        self.exclude_services = names("excludeServices")
        least = match.get("minReplicas")
        self.min_replicas = least if isinstance(least, int) and not isinstance(least, bool) else None

    def resource(self, resource: Resource, ctx: RuleContext) -> bool:
        kind = resource.kind
        if (self.kinds is not None and kind not in self.kinds) or kind in self.exclude_kinds:
            return False
        if self.namespaces is not None or self.exclude_namespaces is not None:
            namespace = ctx.index.namespace_of(resource)
            if self.namespaces is not None and (namespace is None or not _any_glob(namespace, self.namespaces)):
                return False
            if self.exclude_namespaces is not None and namespace is not None and _any_glob(
                    namespace, self.exclude_namespaces):
                return False
        if self.selector is not None and not self.selector.matches(resource.labels):
            return False
        return self.min_replicas is None or self._replicated(resource, ctx)

    def _replicated(self, resource: Resource, ctx: RuleContext) -> bool:
        """The workload runs at least minReplicas pods: its HorizontalPodAutoscaler's minReplicas when one
        scales it (the autoscaler owns the count), else spec.replicas (1 when unset); an unknown
        (templated) count does not match."""
        workload = resource.workload
        if workload is None or self.min_replicas is None:
            return False
        fewest, _ = ctx.index.fewest_replicas(workload)
        return fewest is not None and fewest >= self.min_replicas

    def service(self, name: str) -> bool:
        if self.services is not None and not _any_glob(name, self.services):
            return False
        return self.exclude_services is None or not _any_glob(name, self.exclude_services)


def _constant(value: _T) -> Callable[[], _T]:
    return lambda: value


def _any_glob(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


def _resource_fields(resource: Resource, ctx: RuleContext, container: str = "") -> Callable[[], dict[str, str]]:
    def build() -> dict[str, str]:
        return {"name": resource.name, "kind": resource.kind, "namespace": ctx.index.namespace_of(resource) or "",
                "container": container, "service": "", "instruction": ""}
    return build


def _instruction_data(dockerfile: Dockerfile, instruction: Instruction) -> dict[str, Any]:
    data: dict[str, Any] = {
        "keyword": instruction.keyword.upper(),
        "arguments": instruction.arguments,
        "flags": {f.name: (f.value if f.value is not None else "") for f in instruction.flags},
        "exec": list(instruction.json_args) if instruction.json_args is not None else None,
        "pairs": {k: v for k, v in instruction.pairs},
        "stage": instruction.stage_index,
    }
    if data["keyword"] == "FROM" and 0 <= instruction.stage_index < len(dockerfile.stages):
        stage = dockerfile.stages[instruction.stage_index]
        data["image"] = stage.base_image_resolved or stage.base_image
        data["fromStage"] = stage.parent_stage is not None
        data["platform"] = stage.platform
        if stage.name is not None:
            data["alias"] = stage.name
    return data


def _make_func(policy: Policy) -> Any:
    compiled = _Compiled(policy)
    matcher = _Matcher(policy.doc["match"])
    cover_cache = _CoverCache()
    has_exists = "exists" in policy.doc

    def run(subject: _Subject, ctx: RuleContext, resource: Resource | None = None) -> Iterator[Violation]:
        validators = compiled.validators(ctx.params)
        when = validators.get("when")
        if when is not None and not when.is_valid(subject.data):
            return
        schema = validators.get("schema")
        if schema is not None:
            yield from _schema_violations(policy, schema, subject)
        forbid = validators.get("forbid")
        if forbid is not None:
            yield from _forbid_violations(policy, forbid, subject)
        if resource is not None and has_exists:
            yield from _exists_violations(policy, validators.get("exists.schema"), resource, ctx, cover_cache,
                                          subject)

    if policy.target_type == "object":
        def check_object(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
            if matcher.resource(resource, ctx):
                subject = _Subject(resource.body, resource.path, lambda: resource.location,
                                   _resource_fields(resource, ctx))
                yield from run(subject, ctx, resource)
        return check_object
    if policy.target_type == "podSpec":
        def check_pod_spec(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
            resource = workload.resource
            if not matcher.resource(resource, ctx):
                return
            owner = workload.template if workload.template is not None else resource.body
            yield from run(_Subject(workload.pod_spec, resource.path,
                                    lambda: Location.of(resource.path, owner.key_span("spec")),
                                    _resource_fields(resource, ctx)), ctx)
        return check_pod_spec
    if policy.target_type == "container":
        def check_container(container: Container, ctx: RuleContext) -> Iterator[Violation]:
            if container.kind == "ephemeral" or (container.kind == "init" and not policy.init_containers):
                return
            if matcher.resource(container.resource, ctx):
                yield from run(_Subject(container.data, container.resource.path, lambda: container.location,
                                        _resource_fields(container.resource, ctx, container.name)), ctx)
        return check_container
    if policy.target_type == "service":
        def check_service(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
            if not matcher.service(service.name):
                return
            fields = {"name": service.name, "kind": "service", "namespace": "", "container": "",
                      "service": service.name, "instruction": ""}
            yield from run(_Subject(service.data, service.path, lambda: service.location, lambda: fields), ctx)
        return check_service

    def check_dockerfile(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
        for instruction in dockerfile.instructions:
            keyword = instruction.keyword.upper()
            if policy.instructions and keyword not in policy.instructions:
                continue
            fields = {"name": dockerfile.path, "kind": "Dockerfile", "namespace": "", "container": "",
                      "service": "", "instruction": keyword}
            anchor = Location.of(dockerfile.path, instruction.span)
            yield from run(_Subject(_instruction_data(dockerfile, instruction), dockerfile.path,
                                    _constant(anchor), _constant(fields), fixed=instruction.span), ctx)
    return check_dockerfile


CROSS_OBJECT: set[str] = set()
"""Codes of the policies with an `exists` condition or a `match.minReplicas` (an autoscaler elsewhere
decides it): their findings depend on other objects of the project (the lazy pre-commit context cannot
tell which, so they get the whole project)."""


def to_rule(policy: Policy) -> Rule:
    doc = policy.doc
    match = doc.get_map("match")
    if "exists" in doc or (match is not None and "minReplicas" in match):
        CROSS_OBJECT.add(policy.code)
    tags = tuple(str(t) for t in (doc.get("tags") or ()))
    if "policy" not in tags:
        tags = (*tags, "policy")
    return Rule(
        code=policy.code, name=policy.name, format=policy.format, target=_TARGETS[policy.target_type][0],
        severity=Severity.parse(str(doc.get("severity", "warning"))), summary=str(doc["summary"]),
        rationale=str(doc.get("rationale", "")) or f"Declared by the policy in {policy.source}.",
        fix=str(doc.get("fix", "")) or "See the policy's summary.", tags=tags,
        enabled_by_default=bool(doc.get("enabled", True)), parameters=policy.params, func=_make_func(policy))


# --- registration -------------------------------------------------------------------------------

_BUILTIN: dict[str, list[Rule]] | None = None
_BUILTIN_REGISTERED: set[str] = set()
_USER_ACTIVE: dict[str, tuple[Policy, Rule]] = {}
_USER_FILES: dict[tuple[str, int, int], list[Policy]] = {}


def builtin_policies(*, validate: bool = False) -> list[Policy]:
    """The shipped catalogue. Not validated at run time (tests validate it) to keep runs fast."""
    folder = builtin_catalogue()
    if folder is None:
        return []
    return [p for path in sorted(folder.glob("*.yaml")) for p in load_policy_file(path, validate=validate)]


def register_builtin(fmt: str) -> None:
    """Register the built-in policies of one format (catalogue.load_rules calls this, once per format)."""
    global _BUILTIN
    if fmt in _BUILTIN_REGISTERED or fmt not in POLICY_FORMATS:
        return
    if _BUILTIN is None:
        _BUILTIN = {}
        for policy in builtin_policies():
            _BUILTIN.setdefault(policy.format, []).append(to_rule(policy))
    _BUILTIN_REGISTERED.add(fmt)
    for rule_obj in _BUILTIN.get(fmt, ()):
        register(rule_obj)


def _load_user_file(path: Path) -> list[Policy]:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    found = _USER_FILES.get(key)
    if found is None:
        found = load_policy_file(path)
        _USER_FILES[key] = found
    return found


def activate_user_policies(paths: Sequence[str], *, load_builtin: Callable[[], None]) -> list[Rule]:
    """Make the policies in `paths` (and only those) the registered user policies; returns their rules.
    (Callers use catalogue.use_user_policies, which passes its load_rules as `load_builtin`.)

    A code or name used twice, or one that clashes with a built-in rule or policy, is a ConfigError.
    """
    from kubelint_py.engine.registry import _REGISTRY

    wanted: dict[str, Policy] = {}
    names: dict[str, Policy] = {}
    for path in policy_files(paths):
        for policy in _load_user_file(path):
            for table, key in ((wanted, policy.code), (names, policy.name)):
                other = table.get(key)
                if other is not None:
                    raise ConfigError(f"{policy.location('code' if table is wanted else 'name')}: policy error: "
                                      f"{'code' if table is wanted else 'name'} '{key}' is also used by the "
                                      f"policy at {other.location('code' if table is wanted else 'name')}")
                table[key] = policy
    if {code: pair[0] for code, pair in _USER_ACTIVE.items()} == wanted:
        return [rule_obj for _, rule_obj in _USER_ACTIVE.values()]
    _drop_user_policies()
    if wanted:
        load_builtin()  # every built-in rule, so clashes are found whatever formats this run has
    builtin_names = {r.name: r for r in _REGISTRY.values()}
    for code, policy in wanted.items():
        clash = _REGISTRY.get(code) or builtin_names.get(policy.name)
        if clash is not None:
            _drop_user_policies()
            which = "code" if clash.code == code else "name"
            raise ConfigError(f"{policy.location(which)}: policy error: {which} "
                              f"'{code if which == 'code' else policy.name}' is already used by the built-in "
                              f"rule {clash.code} ({clash.name}); choose another")
        rule_obj = register(to_rule(policy))
        _USER_ACTIVE[code] = (policy, rule_obj)
    return [rule_obj for _, rule_obj in _USER_ACTIVE.values()]


def _drop_user_policies() -> None:
    for _, rule_obj in _USER_ACTIVE.values():
        unregister(rule_obj)
    _USER_ACTIVE.clear()
