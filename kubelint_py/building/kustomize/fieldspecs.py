"""Field specs (kustomize's `configurations:` files) and `vars`.

A field spec names a path in objects of a kind (`spec/issuerRef/name` of a cert-manager Certificate);
`configurations:` files extend where kustomize looks for name references (nameReference), labels
(commonLabels), namespaces (namespace) and `$(VAR)` references (varReference). Other kinds of
configuration are not built (the root is then linted file by file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.building.kustomize.nodes import Budget, BuildError, Unsupported, holders, set_value
from kubelint_py.building.kustomize.transforms import Obj
from kubelint_py.core.source import Span
from kubelint_py.models.located import YList, YMap


@dataclass(frozen=True)
class FieldSpec:
    kind: str | None
    group: str | None
    path: tuple[str, ...]
    create: bool = False

    def applies(self, obj: Obj) -> bool:
        return (self.kind is None or self.kind == obj.kind) and (self.group is None or self.group == obj.group)


def parse(node: Any, span: Span) -> list[FieldSpec]:
    if node is None:
        return []
    if not isinstance(node, YList):
        raise BuildError("field specs must be a list", span)
    found = []
    for _, item in node.maps():
        path = item.get("path")
        if not isinstance(path, str) or not path:
            continue
        kind, group = item.get("kind"), item.get("group")
        found.append(FieldSpec(kind if isinstance(kind, str) else None, group if isinstance(group, str) else None,
                               tuple(step.removesuffix("[]") for step in path.split("/") if step),
                               item.get("create") is True))
    return found


@dataclass
class Configurations:
    """What `configurations:` files added, for this build."""

    name_references: list[tuple[str, FieldSpec]] = field(default_factory=list)
    """(referred kind, where referrers hold its name)"""
    labels: list[FieldSpec] = field(default_factory=list)
    namespaces: list[FieldSpec] = field(default_factory=list)
    var_references: list[FieldSpec] = field(default_factory=list)

    def add(self, document: YMap, span: Span) -> None:
        for key in document:
            if key not in ("nameReference", "commonLabels", "namespace", "varReference"):
                raise Unsupported("configurations", span, f"configurations: '{key}'")
        references = document.get("nameReference")
        if isinstance(references, YList):
            for _, entry in references.maps():
                kind = entry.get("kind")
                if isinstance(kind, str):
                    for spec in parse(entry.get("fieldSpecs"), span):
                        self.name_references.append((kind, spec))
        self.labels.extend(parse(document.get("commonLabels"), span))
        self.namespaces.extend(parse(document.get("namespace"), span))
        self.var_references.extend(parse(document.get("varReference"), span))


# --- vars -------------------------------------------------------------------------------------------

DEFAULT_VAR_REFERENCES: tuple[FieldSpec, ...] = (
    *(FieldSpec(kind, None, (*prefix, lists, leaf[0], *leaf[1:]))
      for kind, prefix in (("CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
                           ("DaemonSet", ("spec", "template", "spec")), ("Deployment", ("spec", "template", "spec")),
                           ("Job", ("spec", "template", "spec")), ("Pod", ("spec",)),
                           ("ReplicaSet", ("spec", "template", "spec")),
                           ("StatefulSet", ("spec", "template", "spec")))
      for lists in ("containers", "initContainers")
      for leaf in (("args",), ("command",), ("env", "value"), ("volumeMounts", "mountPath"))),
    *(FieldSpec(kind, None, (*prefix, "volumes", "nfs", "server"))
      for kind, prefix in (("CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
                           ("DaemonSet", ("spec", "template", "spec")), ("Deployment", ("spec", "template", "spec")),
                           ("Job", ("spec", "template", "spec")), ("Pod", ("spec",)),
                           ("ReplicaSet", ("spec", "template", "spec")))),
    FieldSpec("StatefulSet", None, ("spec", "volumeClaimTemplates", "spec", "nfs", "server")),
    FieldSpec("PersistentVolume", None, ("spec", "nfs", "server")),
    FieldSpec("Ingress", None, ("spec", "rules", "host")),
    FieldSpec("Ingress", None, ("spec", "tls", "hosts")),
    FieldSpec("Ingress", None, ("spec", "tls", "secretName")),
    FieldSpec("Service", None, ("spec", "ports", "port")),
    FieldSpec("Service", None, ("spec", "ports", "targetPort")),
    FieldSpec(None, None, ("metadata", "labels")),
    FieldSpec(None, None, ("metadata", "annotations")),
)

_VAR = re.compile(r"\$\$|\$\(([^)]*)\)")
_FIELD_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


@dataclass
class Var:
    name: str
    kind: str
    object_name: str
    group: str | None
    field_path: str
    span: Span


def parse_vars(node: Any, span: Span) -> list[Var]:
    if not isinstance(node, YList):
        raise BuildError("vars must be a list", span)
    found = []
    for index, entry in node.maps():
        where = node.item_span(index)
        name, objref, fieldref = entry.get("name"), entry.get_map("objref"), entry.get_map("fieldref")
        if not isinstance(name, str) or objref is None:
            raise BuildError("a var needs a name and an objref", where)
        api = objref.get("apiVersion")
        group = objref.get("group")
        if isinstance(api, str):
            group = api.rpartition("/")[0] if "/" in api else ""
        path = "metadata.name"
        if fieldref is not None:
            path = str(fieldref.get("fieldpath") or fieldref.get("fieldPath") or path)
        found.append(Var(name, str(objref.get("kind", "")), str(objref.get("name", "")),
                         group if isinstance(group, str) else None, path, where))
    return found


def _field_value(obj: Obj, path: str, span: Span) -> Any:
    node: Any = obj.body
    for match in _FIELD_STEP.finditer(path):
        key, bracket = match.group(1), match.group(2)
        if key is not None:
            node = node.get(key) if isinstance(node, YMap) else None
        elif bracket is not None and isinstance(node, YList):
            if bracket.isdigit() and int(bracket) < len(node):
                node = node[int(bracket)]
            elif "=" in bracket:
                k, _, v = bracket.partition("=")
                node = next((i for _, i in node.maps() if str(i.get(k)) == v), None)
            else:
                node = None
        else:
            node = None
        if node is None:
            raise BuildError(f"var field path '{path}' is not in {obj.kind} '{obj.name}'", span)
    if isinstance(node, YMap | YList):
        raise BuildError(f"var field path '{path}' is not a scalar", span)
    return node


def resolve_vars(objs: list[Obj], variables: list[Var], extra: list[FieldSpec], budget: Budget) -> None:
    """Replace `$(NAME)` in the var-reference fields (kustomize's ResolveVars, after name fix-ups)."""
    if not variables:
        return
    values: dict[str, str] = {}
    for var in variables:
        if var.name in values:
            raise BuildError(f"var '{var.name}' is declared twice", var.span)
        found = [o for o in objs if o.kind == var.kind and var.object_name in o.names()
                 and (var.group is None or o.group == var.group)]
        if len(found) != 1:
            raise BuildError(f"var '{var.name}' refers to {var.kind} '{var.object_name}', "
                             f"which the build {'does not hold' if not found else 'holds more than once'}", var.span)
        value = _field_value(found[0], var.field_path, var.span)
        values[var.name] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))

    def expand(text: str) -> str:
        return _VAR.sub(lambda m: "$" if m.group(0) == "$$" else values.get(m.group(1), m.group(0)), text)

    specs = [*DEFAULT_VAR_REFERENCES, *extra]
    for obj in objs:
        for spec in specs:
            if not spec.applies(obj):
                continue
            for holder, key in holders(obj.body, spec.path, False, obj.body.span):
                budget.spend()
                _expand_at(holder, key, expand)


def _expand_at(holder: YMap, key: str, expand: Callable[[str], str]) -> None:
    value = holder.get(key)
    if isinstance(value, str) and "$" in value:
        set_value(holder, key, expand(value), holder.value_span(key))
    elif isinstance(value, YList):
        for index, item in enumerate(value):
            if isinstance(item, str) and "$" in item:
                value[index] = expand(item)
    elif isinstance(value, YMap):
        for inner in list(value):
            item = value[inner]
            if isinstance(item, str) and "$" in item:
                value[inner] = expand(item)
