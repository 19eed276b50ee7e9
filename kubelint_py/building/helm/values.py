"""Which values file line set a value a template used (for related locations)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubelint_py.core.source import Location, Span
from kubelint_py.models.located import YList, YMap

if TYPE_CHECKING:
    from kubelint_py.building.helm.template_text import Action

_VALUES_REF = re.compile(r"\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_STEPS = r"(?:\.[A-Za-z_][A-Za-z0-9_-]*)*"
# `index .Values "a" "b"`, `index .Values.a "b"`, `index $v "b"`: the keys are the quoted arguments.
_INDEX = re.compile(r"\bindex\s+(?P<base>\$?\.Values" + _STEPS + r"|\$[A-Za-z_]\w*" + _STEPS +
                    r")(?P<keys>(?:\s+\"[^\"\n]*\")+)")
_VARIABLE_REF = re.compile(r"(?<![\w.])(?P<name>\$[A-Za-z_]\w*)(?P<steps>" + _STEPS + ")")
_ASSIGNMENT = re.compile(r"(?P<name>\$[A-Za-z_]\w*)\s*:?=\s*(?P<expression>[^}\n]*)")
MAX_LEAVES = 200
MAX_VARIABLES = 200


@dataclass
class ValuesSource:
    path: str
    """As displayed."""
    root: YMap
    prefix: tuple[str, ...] = ()
    """Where a subchart's `.Values` sits in this file (`("redis",)` in the parent's values files)."""


def references(text: str, variables: Mapping[str, tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
    """`.Values` paths an expression or template line names: `.Values.a.b`, `index .Values "a" "b"`, and
    `$v.b` where `$v` holds `.Values.a` (variables: name -> the values path it holds)."""
    found = [tuple(match.group(1).strip(".").split(".")) for match in _VALUES_REF.finditer(text)]
    variables = variables or {}
    for match in _INDEX.finditer(text):
        base = _path_of(match.group("base"), variables)
        if base is not None:
            found.append((*base, *re.findall(r'"([^"\n]*)"', match.group("keys"))))
    for match in _VARIABLE_REF.finditer(text):
        held = variables.get(match.group("name"))
        if held is not None:
            steps = match.group("steps").strip(".")
            found.append((*held, *steps.split(".")) if steps else held)
    return list(dict.fromkeys(path for path in found if path))


def _path_of(base: str, variables: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The values path of `.Values.a` (`()` for `.Values` itself) or of `$v.a`, else None."""
    if base.startswith(("$.Values", ".Values")):
        steps = base.split(".Values", 1)[1].strip(".")
        return tuple(steps.split(".")) if steps else ()
    name, _, rest = base.partition(".")
    held = variables.get(name)
    if held is None:
        return None
    return (*held, *rest.split(".")) if rest else held


def assignments(text: str) -> dict[str, tuple[str, ...]]:
    """Variables of a template's text that hold a values path (`$svc := .Values.services.web`,
    `$img := index .Values "image"`, `$tag := $img.tag`), in order (a later assignment wins)."""
    variables: dict[str, tuple[str, ...]] = {}
    for match in _ASSIGNMENT.finditer(text):
        expression = match.group("expression").strip().lstrip("(").strip()
        if not expression.startswith(("$.Values", ".Values", "index ", "$")):
            variables.pop(match.group("name"), None)  # now holds something else
            continue
        found = references(expression.split("|", 1)[0], variables)
        if found:
            variables[match.group("name")] = found[0]
        else:
            variables.pop(match.group("name"), None)
        if len(variables) >= MAX_VARIABLES:
            break
    return variables


def _walk(node: Any, path: tuple[str, ...]) -> tuple[Any, YMap | None, str | None]:
    """The node at `path`, its parent mapping and last key (None, None, None when absent)."""
    parent: YMap | None = None
    key: str | None = None
    for step in path:
        if not isinstance(node, YMap) or step not in node:
            return None, None, None
        parent, key, node = node, step, node[step]
    return node, parent, key


def _leaves(node: Any, path: tuple[str, ...], parent: YMap | None, key: Any,
            budget: list[int]) -> Iterator[tuple[tuple[str, ...], Any, Span]]:
    if budget[0] <= 0:
        return
    if isinstance(node, YMap):
        for child_key, child in node.items():
            yield from _leaves(child, (*path, str(child_key)), node, child_key, budget)
    elif isinstance(node, YList):
        for index, child in enumerate(node):
            if isinstance(child, YMap | YList):
                yield from _leaves(child, (*path, str(index)), None, index, budget)
            else:
                budget[0] -= 1
                yield (*path, str(index)), child, node.item_span(index)
    elif parent is not None:
        budget[0] -= 1
        yield path, node, parent.value_span(key)


@dataclass
class SetValue:
    path: tuple[str, ...]
    value: Any
    location: Location


def winners(sources: list[ValuesSource], path: tuple[str, ...]) -> list[SetValue]:
    """The scalar values under `.Values.<path>` and the file line that won for each (later sources win)."""
    found: dict[tuple[str, ...], SetValue] = {}
    budget = [MAX_LEAVES]
    for source in reversed(sources):
        prefix = () if path[:1] == ("global",) else source.prefix  # Helm gives subcharts the parent's globals
        node, parent, key = _walk(source.root, (*prefix, *path))
        if parent is None:
            continue
        if (not node and isinstance(node, YMap | YList)) or node is None:  # empty or null: the key says it
            if path not in found:
                found[path] = SetValue(path, node, Location.of(source.path, parent.key_span(key)))
            continue
        for leaf_path, value, span in _leaves(node, path, parent, key, budget):
            if leaf_path not in found:
                found[leaf_path] = SetValue(leaf_path, value, Location.of(source.path, span))
    return list(found.values())


def shown(value: Any, limit: int = 60) -> str:
    """A value for a message: one line, at most `limit` characters."""
    text = text_of(value).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def text_of(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


_DOT_REF = re.compile(r"(?<![\w$.)\]])\.(?P<steps>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)?(?![\w(])")
_REBINDS = frozenset({"with", "range", "define", "block"})


def dot_path(text: str, offset: int, variables: Mapping[str, tuple[str, ...]] | None = None,
             actions: Sequence[Action] | None = None) -> tuple[str, ...] | None:
    """The values path `.` stands for at `offset` of a template: inside `{{ with .Values.x }}` (the
    innermost block that rebinds the dot), `("x",)`; None elsewhere (at the top `.` is the root, and in
    a `range` or a `define` it is not a values path we can name)."""
    from kubelint_py.building.helm.template_text import scan_actions

    if actions is None:  # else: those of the whole text (scanned once by the caller), up to offset
        actions = scan_actions(text[:offset])
        if actions is None:
            return None
    stack: list[tuple[str, tuple[str, ...] | None]] = []
    for action in actions:
        if action.end > offset:
            break
        keyword = action.keyword
        if keyword in ("if", *_REBINDS):
            path: tuple[str, ...] | None = None
            if keyword == "with":
                expression = action.body.strip().lstrip("-").strip()[len("with"):].split("|", 1)[0]
                outer = next((p for k, p in reversed(stack) if k in _REBINDS), None)
                found = references(expression, variables)
                if found:
                    path = found[0]
                elif outer is not None:
                    relative = dot_references(expression, outer)
                    path = relative[0] if relative else None
            stack.append((keyword, path))
        elif keyword == "else" and stack and stack[-1][0] == "with":
            stack[-1] = ("with", None)  # the else branch of a with: the dot is not rebound there
        elif keyword == "end" and stack:
            stack.pop()
        if len(stack) > 100:
            return None
    for keyword, held in reversed(stack):
        if keyword in _REBINDS:
            return held
    return None


def dot_references(text: str, base: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Values paths of `.a.b` and of a bare `.` in template text where the dot stands for `base`."""
    found: list[tuple[str, ...]] = []
    for match in _DOT_REF.finditer(text):
        steps = match.group("steps")
        if steps and steps.split(".", 1)[0] in ("Values", "Release", "Chart", "Capabilities", "Template", "Files"):
            continue  # not relative to the dot's value (and `.Values` inside a with is an error anyway)
        found.append((*base, *steps.split(".")) if steps else base)
    return list(dict.fromkeys(found))
