"""Kustomization fields that rewrite the accumulated objects: namespace, namePrefix/nameSuffix (and the
name references they move), labels, annotations, images and replicas. A value written by a field keeps
the span of that field in the kustomization."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubelint_py.building.kustomize.nodes import Budget, ensure_map, holders, set_value
from kubelint_py.core.source import Span
from kubelint_py.models.kubernetes import CLUSTER_SCOPED_KINDS
from kubelint_py.models.located import YList, YMap


@dataclass(eq=False)
class Obj:
    """One object being built: its located body, the file it came from, and its earlier names (name
    references to any of them follow it)."""

    body: YMap
    path: str
    doc_index: int
    doc_span: Span
    old_names: list[tuple[str, str | None]] = field(default_factory=list)
    hash_suffix: bool = False
    generator_span: Span | None = None

    @property
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        value = self.body.get("apiVersion")
        return value.rpartition("/")[0] if isinstance(value, str) and "/" in value else ""

    @property
    def meta(self) -> YMap:
        return ensure_map(self.body, "metadata", self.body.span)

    @property
    def name(self) -> str:
        value = self.meta.get("name")
        return "" if value is None else str(value)

    @property
    def namespace(self) -> str | None:
        value = self.meta.get("namespace")
        return None if value is None or value == "" else str(value)

    def names(self) -> Iterator[str]:
        yield self.name
        for name, _ in self.old_names:
            yield name

    def rename(self, new: str, span: Span | None = None) -> None:
        self.old_names.append((self.name, self.namespace))
        meta = self.meta
        set_value(meta, "name", new, span or meta.value_span("name"))


def cluster_scoped(obj: Obj) -> bool:
    return obj.kind in CLUSTER_SCOPED_KINDS


# --- namespace ----------------------------------------------------------------------------------------

_NS_REFS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ValidatingWebhookConfiguration": (("webhooks", "*", "clientConfig", "service"),),
    "MutatingWebhookConfiguration": (("webhooks", "*", "clientConfig", "service"),),
    "APIService": (("spec", "service"),),
    "CustomResourceDefinition": (("spec", "conversion", "webhook", "clientConfig", "service"),),
}


def maps_at(node: Any, path: tuple[str, ...]) -> Iterator[YMap]:
    """The mappings at path ('*' steps into every item of a list; lists are also stepped through)."""
    frontier = [node]
    for step in path:
        following: list[Any] = []
        for item in frontier:
            if step == "*":
                if isinstance(item, YList):
                    following.extend(item)
            elif isinstance(item, YMap) and step in item:
                value = item[step]
                if isinstance(value, YList):
                    following.extend(value)
                else:
                    following.append(value)
        frontier = following
    for item in frontier:
        if isinstance(item, YMap):
            yield item


def set_namespace(objs: list[Obj], namespace: str, span: Span, extra: Sequence[Any] = ()) -> None:
    for obj in objs:
        for spec in extra:
            if spec.applies(obj):
                for holder, key in list(holders(obj.body, spec.path, spec.create, span)):
                    set_value(holder, key, namespace, span)
        if not cluster_scoped(obj):
            obj.old_names.append((obj.name, obj.namespace))  # kustomize keeps the id even when unchanged
            set_value(obj.meta, "namespace", namespace, span)
        if obj.kind in ("RoleBinding", "ClusterRoleBinding"):
            for subject in maps_at(obj.body, ("subjects",)):
                if subject.get("name") == "default":
                    set_value(subject, "namespace", namespace, span)
        for path in _NS_REFS.get(obj.kind, ()):
            for service in maps_at(obj.body, path):
                set_value(service, "namespace", namespace, span)


# --- labels and annotations ---------------------------------------------------------------------------

_TEMPLATE_LABELS: dict[str, tuple[tuple[str, ...], ...]] = {
    kind: (("spec", "template", "metadata"),)
    for kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController")
}
_TEMPLATE_LABELS["CronJob"] = (("spec", "jobTemplate", "metadata"),
                               ("spec", "jobTemplate", "spec", "template", "metadata"))

_AFFINITY = tuple(
    ("spec", "template", "spec", "affinity", kind, *rest, "labelSelector", "matchLabels")
    for kind in ("podAffinity", "podAntiAffinity")
    for rest in (("preferredDuringSchedulingIgnoredDuringExecution", "podAffinityTerm"),
                 ("requiredDuringSchedulingIgnoredDuringExecution",)))
_SPREAD = ("spec", "template", "spec", "topologySpreadConstraints", "labelSelector", "matchLabels")
# kustomize's commonLabels field specs for selectors: kind -> (group or None, path, created when absent)
_SELECTORS: dict[str, tuple[tuple[str | None, tuple[str, ...], bool], ...]] = {
    "Service": ((None, ("spec", "selector"), True),),
    "ReplicationController": ((None, ("spec", "selector"), True),),
    "Deployment": ((None, ("spec", "selector", "matchLabels"), True),
                   *(("apps", path, False) for path in (*_AFFINITY, _SPREAD))),
    "ReplicaSet": ((None, ("spec", "selector", "matchLabels"), True),),
    "DaemonSet": ((None, ("spec", "selector", "matchLabels"), True),),
    "StatefulSet": (("apps", ("spec", "selector", "matchLabels"), True),
                    *(("apps", path, False) for path in (*_AFFINITY, _SPREAD))),
    "Job": (("batch", ("spec", "selector", "matchLabels"), False),),
    "CronJob": (("batch", ("spec", "jobTemplate", "spec", "selector", "matchLabels"), False),),
    "PodDisruptionBudget": (("policy", ("spec", "selector", "matchLabels"), False),),
    "NetworkPolicy": (("networking.k8s.io", ("spec", "podSelector", "matchLabels"), False),
                      ("networking.k8s.io", ("spec", "ingress", "from", "podSelector", "matchLabels"), False),
                      ("networking.k8s.io", ("spec", "egress", "to", "podSelector", "matchLabels"), False)),
}


def _map_path(root: YMap, path: tuple[str, ...], create: bool, span: Span) -> YMap | None:
    node = root
    for step in path:
        found = node.get(step)
        if isinstance(found, YMap):
            node = found
        elif create and found is None:
            node = ensure_map(node, step, span)
        else:
            return None
    return node


def _set_all(target: YMap, values: YMap, key_span: Callable[[Any], Span]) -> None:
    for key, value in values.items():
        set_value(target, str(key), "" if value is None else str(value) if not isinstance(value, str) else value,
                  values.value_span(key), key_span=key_span(key))


def add_labels(objs: list[Obj], labels: YMap, *, selectors: bool, templates: bool,
               extra: Sequence[Any] = ()) -> None:
    if not labels:
        return
    for obj in objs:
        if selectors:
            for spec in extra:
                if spec.applies(obj):
                    for holder, key in list(holders(obj.body, spec.path, spec.create, labels.span)):
                        target = holder.get(key)
                        if target is None:
                            target = ensure_map(holder, key, labels.span)
                        if isinstance(target, YMap):
                            _set_all(target, labels, labels.key_span)
        _set_all(ensure_map(obj.meta, "labels", labels.span), labels, labels.key_span)
        if obj.kind == "StatefulSet" and (selectors or templates):
            for claim in maps_at(obj.body, ("spec", "volumeClaimTemplates")):
                _set_all(ensure_map(ensure_map(claim, "metadata", labels.span), "labels", labels.span), labels,
                         labels.key_span)
        if selectors or templates:
            for path in _TEMPLATE_LABELS.get(obj.kind, ()):
                meta = _map_path(obj.body, path, True, labels.span)
                if meta is not None:
                    _set_all(ensure_map(meta, "labels", labels.span), labels, labels.key_span)
        if selectors:
            for group, path, create in _SELECTORS.get(obj.kind, ()):
                if group is not None and obj.group != group:
                    continue
                for holder, key in list(holders(obj.body, path, create, labels.span)):
                    selector = holder.get(key)
                    if selector is None and create:
                        selector = ensure_map(holder, key, labels.span)
                    if isinstance(selector, YMap):
                        _set_all(selector, labels, labels.key_span)


def add_annotations(objs: list[Obj], annotations: YMap) -> None:
    if not annotations:
        return
    for obj in objs:
        _set_all(ensure_map(obj.meta, "annotations", annotations.span), annotations, annotations.key_span)
        for path in _TEMPLATE_LABELS.get(obj.kind, ()):
            meta = _map_path(obj.body, path, True, annotations.span)
            if meta is not None:
                _set_all(ensure_map(meta, "annotations", annotations.span), annotations, annotations.key_span)


# --- images -------------------------------------------------------------------------------------------


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) as kustomize splits an image reference."""
    name, digest = image, ""
    if "@" in image:
        name, _, digest = image.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest


def set_images(objs: list[Obj], images: YList, budget: Budget) -> None:
    entries = [entry for _, entry in images.maps() if isinstance(entry.get("name"), str)]
    if not entries:
        return
    for obj in objs:
        stack: list[Any] = [obj.body]
        while stack:
            node = stack.pop()
            budget.spend()
            if isinstance(node, YMap):
                for key, value in node.items():
                    if key in ("containers", "initContainers") and isinstance(value, YList):
                        for _, container in value.maps():
                            _set_image(container, entries)
                    if isinstance(value, YMap | YList):
                        stack.append(value)
            elif isinstance(node, YList):
                stack.extend(v for v in node if isinstance(v, YMap | YList))


def _set_image(container: YMap, entries: list[YMap]) -> None:
    image = container.get("image")
    if not isinstance(image, str):
        return
    name, tag, digest = split_image(image)
    for entry in entries:
        if entry["name"] != name:
            continue
        span = entry.span
        new_name, new_tag, new_digest = (entry.get(k) for k in ("newName", "newTag", "digest"))
        if new_name not in (None, ""):
            name, span = str(new_name), entry.value_span("newName")
        if new_tag not in (None, "") and new_digest not in (None, ""):
            tag, digest, span = str(new_tag), str(new_digest), entry.value_span("newTag")
        elif new_tag not in (None, ""):
            tag, digest, span = str(new_tag), "", entry.value_span("newTag")
        elif new_digest not in (None, ""):
            tag, digest, span = "", str(new_digest), entry.value_span("digest")
        value = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        set_value(container, "image", value, span)
        return


# --- replicas -----------------------------------------------------------------------------------------

_REPLICA_KINDS = frozenset({"Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"})


def set_replicas(objs: list[Obj], replicas: YList) -> None:
    for _, entry in replicas.maps():
        name, count = entry.get("name"), entry.get("count")
        if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
            continue
        for obj in objs:
            if obj.kind in _REPLICA_KINDS and name in obj.names():
                set_value(ensure_map(obj.body, "spec", obj.body.span), "replicas", count, entry.value_span("count"))


# --- name references ----------------------------------------------------------------------------------

_POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    **{kind: ("spec", "template", "spec") for kind in
       ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "ReplicationController")},
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

# referred kind -> (referrer kind or "pod" for every pod spec, path to the map holding the name, field)
_REFS: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "ConfigMap": (
        ("pod", ("volumes", "configMap"), "name"),
        ("pod", ("volumes", "projected", "sources", "configMap"), "name"),
        ("container", ("env", "valueFrom", "configMapKeyRef"), "name"),
        ("container", ("envFrom", "configMapRef"), "name"),
    ),
    "Secret": (
        ("pod", ("volumes", "secret"), "secretName"),
        ("pod", ("volumes", "projected", "sources", "secret"), "name"),
        ("pod", ("imagePullSecrets",), "name"),
        ("container", ("env", "valueFrom", "secretKeyRef"), "name"),
        ("container", ("envFrom", "secretRef"), "name"),
        ("Ingress", ("spec", "tls"), "secretName"),
        ("ServiceAccount", ("imagePullSecrets",), "name"),
        ("ServiceAccount", ("secrets",), "name"),
    ),
    "ServiceAccount": (
        ("pod", (), "serviceAccountName"),
        ("pod", (), "serviceAccount"),
    ),
    "PersistentVolumeClaim": (("pod", ("volumes", "persistentVolumeClaim"), "claimName"),),
    "PersistentVolume": (("PersistentVolumeClaim", ("spec",), "volumeName"),),
    "Service": (
        ("Ingress", ("spec", "rules", "http", "paths", "backend", "service"), "name"),
        ("Ingress", ("spec", "rules", "http", "paths", "backend"), "serviceName"),
        ("Ingress", ("spec", "defaultBackend", "service"), "name"),
        ("Ingress", ("spec", "backend"), "serviceName"),
        ("StatefulSet", ("spec",), "serviceName"),
        ("APIService", ("spec", "service"), "name"),
        ("ValidatingWebhookConfiguration", ("webhooks", "clientConfig", "service"), "name"),
        ("MutatingWebhookConfiguration", ("webhooks", "clientConfig", "service"), "name"),
    ),
    "PriorityClass": (("pod", (), "priorityClassName"),),
}
_SCALE_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")


def _holders(obj: Obj, scope: str, path: tuple[str, ...]) -> Iterator[YMap]:
    if scope in ("pod", "container"):
        spec_path = _POD_SPECS.get(obj.kind)
        if spec_path is None:
            return
        for spec in maps_at(obj.body, spec_path):
            if scope == "pod":
                yield from maps_at(spec, path) if path else [spec]
            else:
                for field_name in _CONTAINER_LISTS:
                    for container in maps_at(spec, (field_name,)):
                        yield from maps_at(container, path)
    elif obj.kind == scope:
        yield from maps_at(obj.body, path)


def fix_references(objs: list[Obj], budget: Budget, extra: Sequence[tuple[str, Any]] = ()) -> None:
    """Point name references at the objects' final names (kustomize's name reference transformer);
    `extra`: (referred kind, field spec) pairs from `configurations:` files."""
    by_kind: dict[str, list[Obj]] = {}
    for obj in objs:
        by_kind.setdefault(obj.kind, []).append(obj)
    for obj in objs:
        budget.spend(10)
        namespace = obj.namespace
        for kind, spec in extra:
            if spec.applies(obj) and kind in by_kind:
                for holder, key in list(holders(obj.body, spec.path, False, obj.body.span)):
                    _fix(holder, key, by_kind[kind], namespace)
        for kind, specs in _REFS.items():
            candidates = by_kind.get(kind)
            if not candidates:
                continue
            for scope, path, field_name in specs:
                for holder in _holders(obj, scope, path):
                    _fix(holder, field_name, candidates, namespace)
        if obj.kind in ("RoleBinding", "ClusterRoleBinding"):
            role_ref = obj.body.get_map("roleRef")
            if role_ref is not None and role_ref.get("kind") in ("Role", "ClusterRole"):
                _fix(role_ref, "name", by_kind.get(str(role_ref["kind"]), []), namespace)
            for subject in maps_at(obj.body, ("subjects",)):
                if subject.get("kind") == "ServiceAccount":
                    _fix_subject(subject, by_kind.get("ServiceAccount", []), namespace)
        if obj.kind == "HorizontalPodAutoscaler":
            target = obj.body.get_map("spec")
            ref = target.get_map("scaleTargetRef") if target is not None else None
            if ref is not None and ref.get("kind") in _SCALE_KINDS:
                _fix(ref, "name", by_kind.get(str(ref["kind"]), []), namespace)


def _match(candidates: list[Obj], value: str, namespace: str | None) -> Obj | None:
    found = [c for c in candidates if value == c.name or any(value == n for n, _ in c.old_names)]
    if len(found) > 1:
        same = [c for c in found if cluster_scoped(c) or c.namespace == namespace]
        found = same or found
    names = {c.name for c in found}
    return found[0] if len(names) == 1 else None


def _fix(holder: YMap, field_name: str, candidates: list[Obj], namespace: str | None) -> None:
    value = holder.get(field_name)
    if not isinstance(value, str) or not candidates:
        return
    found = _match(candidates, value, namespace)
    if found is not None and found.name != value:
        set_value(holder, field_name, found.name, holder.value_span(field_name))


def _fix_subject(subject: YMap, candidates: list[Obj], namespace: str | None) -> None:
    value = subject.get("name")
    if not isinstance(value, str):
        return
    wanted = subject.get("namespace")
    found = [c for c in candidates if (value == c.name or any(value == n for n, _ in c.old_names))]
    if isinstance(wanted, str):
        found = [c for c in found if wanted == c.namespace or any(wanted == ns for _, ns in c.old_names)] or found
    if len({(c.name, c.namespace) for c in found}) != 1:
        return
    target = found[0]
    if target.name != value:
        set_value(subject, "name", target.name, subject.value_span("name"))
    moved = bool(target.old_names) or wanted is not None  # renamed or namespaced by the build
    if target.namespace is not None and target.namespace != wanted and moved:
        set_value(subject, "namespace", target.namespace, subject.value_span("namespace"))
