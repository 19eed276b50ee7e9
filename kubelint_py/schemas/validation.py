"""Validate located YAML (YMap/YList) against a JSON Schema and say, for people, what is wrong and where.

Two stages, so the common case is cheap:

1. A validity check compiled from the schema into plain closures (`compile_check`). It handles the
   keywords Kubernetes and Compose schemas use and answers only "certainly valid" or "not proven
   valid": a schema with a keyword it does not know compiles to "not proven". Validating thousands of
   valid objects this way costs a small fraction of what jsonschema costs, and jsonschema is not even
   imported when every object is valid.
2. For objects not proven valid, jsonschema (imported lazily, one validator per schema, cached by the
   caller) lists the errors; each is reduced (oneOf/anyOf noise down to the branch that fits the value
   best), located with `span_at` (the key for unknown fields, the value for wrong types and values, the
   mapping's own key for missing required fields) and rewritten as one sentence. Exactly one issue per
   location.

Schemas come from the pull request too (CRDs), so both stages are bounded: `pattern` and
`patternProperties` are matched by RE2 in linear time (kubelint_py.core.regex; a pattern RE2 cannot
express, with lookaround or backreferences, is not checked), `uniqueItems` hashes a canonical form of
each item (linear, not pairwise), jsonschema sees long strings and containers through a view whose repr
is short (its messages quote the instance: a 1 MB string aliased 3,000 times made 6 GB of messages), at
most MAX_ERRORS errors are read per object, and a failure (RecursionError, MemoryError, a bug) raises
SchemaCheckFailed, which the engine reports as KL005: never silence.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from itertools import islice
from typing import Any, NamedTuple

from kubelint_py.core.regex import Searcher, searcher
from kubelint_py.core.source import Span
from kubelint_py.models.located import span_at

Check = Callable[[Any], bool]
Path = tuple[Any, ...]

# Keywords that only annotate: jsonschema ignores them for validation, and so do we. `format` is only
# asserted when a format checker is passed, which we never do.
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "$anchor", "$vocabulary", "title", "description",
    "default", "examples", "example", "deprecated", "readOnly", "writeOnly", "format", "contentMediaType",
    "contentEncoding", "contentSchema", "nullable", "discriminator", "externalDocs",
})
# Keywords jsonschema asserts (Draft 2020-12) that the fast check does not implement: a schema using
# one of them is never proven valid by the fast check, so jsonschema decides.
_UNSUPPORTED = frozenset({
    "if", "then", "else", "dependentSchemas", "dependentRequired", "prefixItems", "contains", "minContains",
    "maxContains", "unevaluatedProperties", "unevaluatedItems", "propertyNames", "$dynamicRef",
    "$recursiveRef", "dependencies", "additionalItems",
})


def _never(_: Any) -> bool:
    return False


def _always(_: Any) -> bool:
    return True


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return False


def _strict_equal(left: Any, right: Any) -> bool:
    """JSON equality: true is not 1, and 1 equals 1.0 (as jsonschema compares for enum and const)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_strict_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_strict_equal(a, b) for a, b in zip(left, right, strict=True))
    return bool(type(left) is type(right) or (isinstance(left, int | float) and isinstance(right, int | float))) \
        and left == right


class _Compiler:
    """Turns a schema into a predicate; `$ref`s into the same document are compiled once (cycles too)."""

    def __init__(self, root: Mapping[str, Any], strict: bool, unknowable: Callable[[Any], bool] | None) -> None:
        self.root = root
        self.strict = strict
        self.unknowable = unknowable
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        found = self.refs.get(pointer)
        if found is not None:
            return found
        target = self._resolve(pointer)
        if target is None:
            self.refs[pointer] = _never
            return _never
        cell: list[Check] = []

        def deferred(value: Any) -> bool:  # stands in while a recursive definition is compiled
            return cell[0](value)

        self.refs[pointer] = deferred
        compiled = self.compile(target)
        cell.append(compiled)
        self.refs[pointer] = compiled
        return compiled

    def _resolve(self, pointer: str) -> Any:
        if not pointer.startswith("#"):
            return None
        node: Any = self.root
        for part in pointer[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                return None
        return node

    def compile(self, schema: Any) -> Check:
        # `unknowable` values pass wherever a value is checked: at the root (compile_check) and at each
        # value a container holds (check_plain, items), on failure only, rather than a wrapper around
        # every compiled check (two or three extra calls per value in the hot path).
        return self._compile(schema)

    def allow_unknowable(self, check: Check) -> Check:
        unknowable = self.unknowable
        if unknowable is None or check is _always:
            return check
        return lambda value: check(value) or unknowable(value)

    def _compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            return _never
        checks: list[Check] = []
        # `type: object` with properties, or `type: array` with items (most nodes of a Kubernetes schema):
        # the container check tests the type itself, one call per value instead of three.
        only_type = _only_type(schema.get("type"))
        object_keywords = any(k in schema for k in ("properties", "patternProperties", "additionalProperties",
                                                    "required"))
        fused_object = only_type is not None and only_type[0] == "object" and object_keywords
        fused = fused_object or (only_type is not None and only_type[0] == "array" and "items" in schema)
        for key, arg in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-") or key in ("properties", "patternProperties",
                                                                       "additionalProperties", "required"):
                continue
            if fused and key == "type":
                continue
            if key in _UNSUPPORTED:
                return _never
            maker = _KEYWORDS.get(key)
            if maker is None:
                continue  # jsonschema ignores keywords it does not know
            check = maker(self, arg, schema)
            if check is _never:
                return _never
            if check is not _always:
                checks.append(check)
        if object_keywords:
            checks.append(self._object(schema, only_type if fused_object else None))
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda value: first(value) and second(value)
        return lambda value: all(check(value) for check in checks)

    def lazy(self, schema: Any) -> Check:
        """Compiled on first use: big CRD schemas have thousands of fields an object never uses."""
        if schema is True or schema == {}:
            return _always
        if isinstance(schema, Mapping) and "$ref" in schema and all(k == "$ref" or k in _ANNOTATIONS for k in schema):
            # A reference compiles its target's top level only (its properties are lazy): compiling it now
            # saves a call per value checked (list items, map values) for the rest of the run.
            return self.compile(schema)
        cell: list[Check] = []

        def check(value: Any) -> bool:
            if not cell:
                cell.append(self.compile(schema))
            return cell[0](value)

        return check

    def _lazy_entry(self, table: dict[str, Check], name: str, schema: Any) -> Check:
        """Like lazy(), for a check looked up in `table` on every use: once compiled, the compiled
        check replaces the stand-in there (one call less per field on every later object)."""
        if schema is True or schema == {}:
            return _always

        def first(value: Any) -> bool:
            compiled = table[name] = self.compile(schema)
            return compiled(value)

        return first

    def _object(self, schema: Mapping[str, Any], declared: tuple[str, bool] | None = None) -> Check:
        """The check of an object's properties. Other values pass, unless the schema's type is object
        (declared: ("object", null allowed?), see _only_type): then that is checked here, not by a
        separate call."""
        other_passes = declared is None
        null_passes = declared is None or declared[1]
        props: dict[str, Check] = {}
        for name, sub in (schema.get("properties") or {}).items():
            props[name] = self._lazy_entry(props, name, sub)
        patterns: list[tuple[Searcher, Check]] = []
        for source, sub in (schema.get("patternProperties") or {}).items():
            found = searcher(source)
            if found is None:
                return _never  # RE2 cannot express it: jsonschema (which then skips it) decides
            patterns.append((found, self.lazy(sub)))
        extra_schema = schema.get("additionalProperties", True)
        if extra_schema is False and not self.strict:
            extra_schema = True
        extra = _never if extra_schema is False else self.lazy(extra_schema)
        open_extra = extra is _always
        required = tuple(schema.get("required") or ())
        unknowable = self.unknowable

        if not patterns:
            # The usual Kubernetes object schema: named properties, maybe additionalProperties.
            def check_plain(value: Any) -> bool:
                if not isinstance(value, dict):
                    return other_passes or (null_passes and value is None)
                get = props.get
                for key, item in value.items():
                    sub = get(key)
                    if sub is None:
                        if not open_extra and not extra(item) and not (unknowable and unknowable(item)):
                            return False
                    elif not sub(item) and not (unknowable and unknowable(item)):
                        return False
                for name in required:  # noqa: SIM110  (no generator per object)
                    if name not in value:
                        return False
                return True

            return check_plain

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return other_passes or (null_passes and value is None)
            for key, item in value.items():
                if unknowable and unknowable(item):
                    continue
                sub = props.get(key)
                if sub is not None and not sub(item):
                    return False
                matched = sub is not None
                for pattern, pattern_check in patterns:
                    if isinstance(key, str) and pattern(key):
                        matched = True
                        if not pattern_check(item):
                            return False
                if not matched and not open_extra and not extra(item):
                    return False
            return all(name in value for name in required)

        return check


def _k_ref(compiler: _Compiler, arg: Any, _: Mapping[str, Any]) -> Check:
    if not isinstance(arg, str):
        return _never
    return compiler.ref(arg)


def _k_type(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    names = (arg,) if isinstance(arg, str) else tuple(arg)
    if names == ("string",):
        return lambda value: isinstance(value, str)
    if set(names) == {"string", "null"}:
        return lambda value: value is None or isinstance(value, str)
    if set(names) == {"object", "null"}:
        return lambda value: value is None or isinstance(value, dict)
    if set(names) == {"array", "null"}:
        return lambda value: value is None or isinstance(value, list)
    if names == ("object",):  # the most common type of all in Kubernetes schemas
        return lambda value: isinstance(value, dict)
    if names == ("array",):
        return lambda value: isinstance(value, list)
    if len(names) == 1:
        name = names[0]
        return lambda value: _is_type(value, name)
    return lambda value: any(_is_type(value, name) for name in names)


def _k_items(compiler: _Compiler, arg: Any, schema: Mapping[str, Any]) -> Check:
    if isinstance(arg, list):  # draft 4 tuple form: not 2020-12
        return _never
    sub = compiler.lazy(arg)
    declared = _only_type(schema.get("type"))
    if declared is not None and declared[0] == "array":  # the type is checked here (see _compile)
        null_passes = declared[1]
        if sub is _always:
            return lambda value: isinstance(value, list) or (null_passes and value is None)
        also = compiler.unknowable
        if also is not None:
            return lambda value: (isinstance(value, list) and all(sub(item) or also(item) for item in value)) \
                or (null_passes and value is None)
        return lambda value: (isinstance(value, list) and all(sub(item) for item in value)) \
            or (null_passes and value is None)
    if sub is _always:
        return _always
    unknowable = compiler.unknowable
    if unknowable is not None:
        return lambda value: not isinstance(value, list) or all(sub(item) or unknowable(item) for item in value)
    return lambda value: not isinstance(value, list) or all(sub(item) for item in value)


def _only_type(declared: Any) -> tuple[str, bool] | None:
    """("object" or "array", null allowed?) when the schema's type is that one type, alone or with
    "null" (how the Kubernetes bundle writes most of its nodes); else None."""
    names = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    others = [name for name in names if name != "null"]
    if len(others) != 1 or others[0] not in ("object", "array") or len(names) > 2:
        return None
    return others[0], len(names) == 2


def _k_enum(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    options = list(arg) if isinstance(arg, list) else []
    plain = {o for o in options if isinstance(o, str)}
    if len(plain) == len(options):
        return lambda value: isinstance(value, str) and value in plain
    return lambda value: any(_strict_equal(value, option) for option in options)


def _k_const(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    return lambda value: _strict_equal(value, arg)


def _k_any_of(compiler: _Compiler, arg: Any, _: Mapping[str, Any]) -> Check:
    subs = [compiler.compile(sub) for sub in arg]
    return lambda value: any(sub(value) for sub in subs)


def _k_one_of(compiler: _Compiler, arg: Any, _: Mapping[str, Any]) -> Check:
    subs = [compiler.compile(sub) for sub in arg]
    return lambda value: sum(1 for sub in subs if sub(value)) == 1


def _k_all_of(compiler: _Compiler, arg: Any, _: Mapping[str, Any]) -> Check:
    subs = [compiler.compile(sub) for sub in arg]
    return lambda value: all(sub(value) for sub in subs)


def _k_not(compiler: _Compiler, arg: Any, _: Mapping[str, Any]) -> Check:
    sub = compiler.compile(arg)
    return lambda value: not sub(value)


def _k_pattern(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    pattern = searcher(arg) if isinstance(arg, str) else None
    if pattern is None:
        return _always  # not checked (RE2 cannot express it), by jsonschema either
    return lambda value: not isinstance(value, str) or pattern(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound(compare: Callable[[Any, Any], bool]) -> Callable[[_Compiler, Any, Mapping[str, Any]], Check]:
    def make(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
        if not _number(arg):
            return _never  # draft 4 boolean exclusiveMinimum and the like: let jsonschema decide
        return lambda value: not _number(value) or compare(value, arg)
    return make


_Maker = Callable[["_Compiler", Any, Mapping[str, Any]], Check]


def _length(kind: type[Any], compare: Callable[[int, Any], bool]) -> _Maker:
    def make(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
        if not _number(arg):
            return _never
        return lambda value: not isinstance(value, kind) or compare(len(value), arg)
    return make


def _k_unique(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    if arg is not True:
        return _always

    return _all_unique


def _canonical(value: Any) -> Any:
    """A hashable form equal for JSON-equal values (true is not 1; 1 equals 1.0), as _strict_equal."""
    if isinstance(value, bool) or value is None:
        return (0, value)
    if isinstance(value, int | float):
        return (1, int(value) if isinstance(value, float) and value.is_integer() else value)
    if isinstance(value, str):
        return (2, str(value))
    if isinstance(value, dict):
        return (3, frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (4, tuple(_canonical(v) for v in value))
    return (5, id(value))


def _all_unique(value: Any) -> bool:
    """uniqueItems in linear time (it compared every pair: 50,000 items took minutes)."""
    if not isinstance(value, list):
        return True
    seen: set[Any] = set()
    for item in value:
        key = _canonical(item)
        if key in seen:
            return False
        seen.add(key)
    return True


def _k_multiple_of(_: _Compiler, arg: Any, __: Mapping[str, Any]) -> Check:
    if not _number(arg) or arg <= 0:
        return _never
    if isinstance(arg, int):
        return lambda value: not _number(value) or (isinstance(value, int) and value % arg == 0)
    return _never_float_multiple


def _never_float_multiple(value: Any) -> bool:
    return not _number(value)


_KEYWORDS: dict[str, Callable[[_Compiler, Any, Mapping[str, Any]], Check]] = {
    "$ref": _k_ref, "type": _k_type, "items": _k_items, "enum": _k_enum, "const": _k_const,
    "anyOf": _k_any_of, "oneOf": _k_one_of, "allOf": _k_all_of, "not": _k_not, "pattern": _k_pattern,
    "minimum": _bound(lambda v, a: v >= a), "maximum": _bound(lambda v, a: v <= a),
    "exclusiveMinimum": _bound(lambda v, a: v > a), "exclusiveMaximum": _bound(lambda v, a: v < a),
    "minLength": _length(str, lambda n, a: n >= a), "maxLength": _length(str, lambda n, a: n <= a),
    "minItems": _length(list, lambda n, a: n >= a), "maxItems": _length(list, lambda n, a: n <= a),
    "minProperties": _length(dict, lambda n, a: n >= a), "maxProperties": _length(dict, lambda n, a: n <= a),
    "uniqueItems": _k_unique, "multipleOf": _k_multiple_of,
}


def compile_check(schema: Mapping[str, Any], *, strict: bool = True,
                  unknowable: Callable[[Any], bool] | None = None) -> Check:
    """A predicate that is True only when `schema` certainly accepts the value (False: ask jsonschema).

    `unknowable(value)` marks values the caller cannot judge (Compose's `${VAR}`): they pass any check.
    """
    compiler = _Compiler(schema, strict, unknowable)
    return compiler.allow_unknowable(compiler.compile(schema))


# --- errors for people -------------------------------------------------------------------------


class SchemaIssue(NamedTuple):
    path: Path
    """Where in the document: the offending value, or for an unknown field the field's own key."""
    span: Span | None
    message: str
    validator: str
    """The JSON Schema keyword that failed (additionalProperties, required, type, enum, ...)."""


def dotted(path: Iterable[Any]) -> str:
    """`spec.template.spec.containers[0].image`"""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif text:
            text += f".{step}"
        else:
            text = str(step)
    return text if len(text) <= 120 else "..." + text[-117:]


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return "number" if math.isnan(value) or math.isinf(value) else f"number {value:g}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string '{shown}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


_ARTICLE = {"integer": "an integer", "object": "a mapping", "array": "a list", "string": "a string",
            "boolean": "a boolean (true or false)", "number": "a number", "null": "null"}


def _type_names(schema_type: Any) -> list[str]:
    names = [schema_type] if isinstance(schema_type, str) else list(schema_type or ())
    return [n for n in names if n != "null"] or names


def _join(words: list[str], last: str = "or") -> str:
    unique = list(dict.fromkeys(words))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + f" {last} " + unique[-1]


def suggest(word: str, options: Iterable[str]) -> str | None:
    """The closest option to a misspelt key: same letters in another case first, then difflib."""
    choices = [o for o in options if isinstance(o, str)]
    lowered = word.lower()
    for option in choices:
        if option.lower() == lowered:
            return option
    import difflib  # only when a key is misspelt

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    if not close and len(word) > 3:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


class Wording(NamedTuple):
    """How a format names things in messages."""

    where: Callable[[Path], str] = lambda path: dotted(path) or "the top level"
    """A noun phrase for the mapping or value at a path ('spec.template.spec', "service 'web'")."""
    field: str = "field"
    """What a mapping key is called: 'field' (Kubernetes) or 'key' (Compose)."""
    unknown: Callable[[Path, str], str] | None = None
    """Optional: the whole 'unknown ...' phrase for an unknown key under a path (without the suggestion)."""


_DEFAULT_WORDING = Wording()


RECURSION_LIMIT = 12_000
MAX_ERRORS = 10_000
"""jsonschema errors read per object (each gives at most one issue per location)."""
_SHOWN = 80


class SchemaCheckFailed(Exception):
    """Validation could not finish; the rule that asked fails, and the engine reports KL005."""


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"


class _ShortStr(str):
    """A long string as jsonschema sees it: the same text, a short repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__repr__(self[:_SHOWN]) + f"...({len(self)} characters)"


class _ShortMap(dict[Any, Any]):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"<mapping of {len(self)} entries>"


class _ShortList(list[Any]):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"<list of {len(self)} items>"


def _view(value: Any, memo: dict[int, Any]) -> Any:
    """The instance with short reprs (aliased nodes stay shared): jsonschema quotes `instance!r`."""
    if isinstance(value, str):
        if len(value) <= _SHOWN:
            return value
    elif not isinstance(value, dict | list):
        return value
    found = memo.get(id(value))
    if found is not None:
        return found
    if isinstance(value, str):
        view: Any = _ShortStr(value)
    elif isinstance(value, dict):
        view = _ShortMap()
        memo[id(value)] = view
        for key, item in value.items():
            view[_view(key, memo)] = _view(item, memo)
    else:
        view = _ShortList()
        memo[id(value)] = view
        view.extend(_view(item, memo) for item in value)
    memo[id(value)] = view
    return view


class SchemaValidator:
    """One schema, its compiled fast check and (built on first need) its jsonschema validator."""

    def __init__(self, schema: Mapping[str, Any], *, strict: bool = True,
                 unknowable: Callable[[Any], bool] | None = None) -> None:
        self.schema = schema
        self.strict = strict
        self.unknowable = unknowable
        """Values that pass the fast check whatever the schema says; `issues` must be given a matching
        `skip`, or it reports them."""
        self._fast: Check | None = None
        self._full: Any = None

    def is_valid(self, instance: Any) -> bool:
        """Fast; False means "not proven valid" (then `issues` asks jsonschema)."""
        if self._fast is None:
            try:
                self._fast = compile_check(self.schema, strict=self.strict, unknowable=self.unknowable)
            except (re.error, TypeError, ValueError, AttributeError, RecursionError):
                self._fast = _never  # a malformed schema (from a CRD): jsonschema decides, or nothing
        try:
            return self._fast(instance)
        except RecursionError:  # pathologically deep documents (the loader allows 400 levels)
            return False

    def _validator(self) -> Any:
        if self._full is None:
            self._full = _validator_class(self.strict)(self.schema)
        return self._full

    def issues(self, instance: Any, *, wording: Wording = _DEFAULT_WORDING,
               skip: Callable[[Any, str], bool] | None = None) -> list[SchemaIssue]:
        """Every problem with `instance`, one per location, in document order.

        `skip(value, keyword)` drops errors on values the caller cannot judge (e.g. `${VAR}` in Compose).
        """
        if self.is_valid(instance):
            return []
        found: dict[tuple[Path, bool], SchemaIssue] = {}
        # jsonschema uses several frames per level: the 400 levels the loader allows need more than the
        # default limit (Python 3.11 frames of pure-Python calls do not use the C stack).
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, RECURSION_LIMIT))
        try:
            for error in islice(self._validator().iter_errors(_view(instance, {})), MAX_ERRORS):
                for issue in _explain(error, instance, wording, skip):
                    key = (issue.path, issue.validator in ("additionalProperties", "required"))
                    found.setdefault(key, issue)
        except Exception as error:
            # A schema jsonschema cannot apply (a dangling $ref), a document too deep for it, memory:
            # reported (KL005), never a silent pass.
            raise SchemaCheckFailed(f"schema validation stopped: {type(error).__name__}: "
                                    f"{_short(str(error))}") from None
        finally:
            sys.setrecursionlimit(limit)
        return sorted(found.values(), key=lambda i: (i.span.line, i.span.column) if i.span else (0, 0))


@lru_cache(maxsize=2)
def _validator_class(strict: bool) -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, linear_keywords(strict))


def linear_keywords(strict: bool = True) -> dict[str, Any]:
    """jsonschema keyword functions for pattern, patternProperties, additionalProperties (which matches
    patternProperties) and uniqueItems that run in linear time and quote no whole instance; a pattern RE2
    cannot express is not checked. Non-strict: additionalProperties: false allows unknown fields."""
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, source: Any, instance: Any, schema: Any) -> Any:
        found = searcher(source) if isinstance(source, str) else None
        if found is not None and isinstance(instance, str) and not found(instance):
            yield ValidationError(f"does not match {_short(repr(source))}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
        if not isinstance(instance, dict) or not isinstance(patterns, Mapping):
            return
        for source, subschema in patterns.items():
            found = searcher(source)
            if found is None:
                continue
            for key, item in instance.items():
                if isinstance(key, str) and found(key):
                    yield from validator.descend(item, subschema, path=key, schema_path=source)

    def additional_properties(validator: Any, extra: Any, instance: Any, schema: Any) -> Any:
        if not isinstance(instance, dict) or (extra is False and not strict):
            return  # non-strict: unknown fields are allowed (the API server drops them)
        extras = _extra_keys(instance, schema)
        if extras is None:
            return  # a patternProperties pattern RE2 cannot express: which keys are extra is unknown
        if isinstance(extra, Mapping):
            for key in extras:
                yield from validator.descend(instance[key], extra, path=key)
        elif extra is False and extras:
            yield ValidationError(f"{len(extras)} additional properties are not allowed")

    def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
        if unique and isinstance(instance, list) and not _all_unique(instance):
            yield ValidationError("has non-unique elements")

    return {"pattern": pattern, "patternProperties": pattern_properties,
            "additionalProperties": additional_properties, "uniqueItems": unique_items}


def _branch_errors(error: Any) -> dict[int, list[Any]]:
    branches: dict[int, list[Any]] = {}
    for sub in error.context or ():
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(index, []).append(sub)
    return branches


def _type_failed_at_root(errors: list[Any], depth: int) -> bool:
    return any(e.validator in ("type", "enum", "const") and len(e.absolute_path) == depth for e in errors)


def _reduce(error: Any) -> list[Any]:
    """oneOf/anyOf: keep the errors of the branch that fits the value best, recursively."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    depth = len(error.absolute_path)
    branches = _branch_errors(error)
    fitting = {i: errs for i, errs in branches.items() if not _type_failed_at_root(errs, depth)}
    if not fitting:
        return [error]  # no branch takes this type of value: one "must be X or Y" error
    best = max(fitting.values(), key=lambda errs: (max(len(e.absolute_path) for e in errs), -len(errs)))
    reduced: list[Any] = []
    for sub in best:
        reduced.extend(_reduce(sub))
    return reduced


def _extra_keys(instance: Mapping[Any, Any], schema: Mapping[str, Any]) -> list[Any] | None:
    """Keys neither named nor matched by a pattern; None when a pattern cannot be matched (RE2)."""
    props = schema.get("properties") or {}
    patterns = [searcher(p) for p in (schema.get("patternProperties") or {})]
    if any(p is None for p in patterns):
        return None
    return [k for k in instance
            if k not in props and not any(isinstance(k, str) and p(k) for p in patterns if p is not None)]


def _allowed_types(error: Any) -> list[str]:
    if error.validator == "type":
        return _type_names(error.validator_value)
    names: list[str] = []
    for sub in error.validator_value or ():
        if isinstance(sub, Mapping) and "type" in sub:
            names.extend(_type_names(sub["type"]))
        elif isinstance(sub, Mapping) and "enum" in sub:
            names.extend(f"'{v}'" for v in sub["enum"])
        elif isinstance(sub, Mapping) and "const" in sub:
            names.append(f"'{sub['const']}'")
        else:
            return []
    return names


def _explain(error: Any, root: Any, wording: Wording, skip: Callable[[Any, str], bool] | None
             ) -> list[SchemaIssue]:
    issues: list[SchemaIssue] = []
    for err in _reduce(error):
        path: Path = tuple(err.absolute_path)
        value = err.instance
        keyword = str(err.validator)
        if skip is not None and skip(value, keyword):
            continue
        where = wording.where(path)
        if keyword == "additionalProperties" and isinstance(value, Mapping):
            allowed = list((err.schema.get("properties") or {}).keys())
            for key in _extra_keys(value, err.schema) or ():
                phrase = (wording.unknown(path, str(key)) if wording.unknown is not None
                          else f"unknown {wording.field} '{key}' {'in' if path else 'at'} {where}")
                hint = suggest(str(key), allowed)
                message = f"{phrase}, did you mean '{hint}'?" if hint else f"{phrase}"
                issues.append(SchemaIssue((*path, key), span_at(root, (*path, key), key=True), message, keyword))
            continue
        if keyword == "required" and isinstance(value, Mapping):
            missing = [name for name in err.validator_value if name not in value]
            fields = _join([f"'{name}'" for name in missing], "and")
            plural = "s" if len(missing) > 1 else ""
            message = f"missing required {wording.field}{plural} {fields} {'in' if path else 'at'} {where}"
            issues.append(SchemaIssue(path, span_at(root, path, key=True), message, keyword))
            continue
        span = span_at(root, path)
        got = _describe_value(value)
        if keyword in ("type", "oneOf", "anyOf"):
            names = _allowed_types(err)
            if names:
                wanted = _join([_ARTICLE.get(n, n) for n in names])
                message = f"{where} must be {wanted}, got {got}"
            elif keyword == "oneOf" and len(_branch_errors(err)) < len(err.validator_value):
                message = f"{where} matches more than one of the allowed forms"
            else:
                message = f"{where} has an invalid value ({got}): it fits none of the allowed forms"
        elif keyword in ("enum", "const"):
            options = err.validator_value if keyword == "enum" else [err.validator_value]
            shown = _join([f"'{_short(str(o))}'" for o in list(options)[:12] if o is not None])
            message = f"{where} must be {shown}, got {got}"
        elif keyword == "pattern":
            message = f"{where} must match the pattern '{_short(str(err.validator_value))}', got {got}"
        elif keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            relation = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                        "exclusiveMaximum": "less than"}[keyword]
            message = f"{where} must be {relation} {err.validator_value}, got {got}"
        elif keyword in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            unit = {"Length": "characters", "Items": "items", "Properties": "entries"}[keyword[3:]]
            relation = "at least" if keyword.startswith("min") else "at most"
            message = f"{where} must have {relation} {err.validator_value} {unit}"
        elif keyword == "uniqueItems":
            message = f"{where} has duplicate items"
        elif keyword == "not":
            message = f"{where} has a value that is not allowed here ({got})"
        else:
            message = f"{where}: {err.message}"
        issues.append(SchemaIssue(path, span, message, keyword))
    return issues
