"""Kubernetes objects: a generic Resource plus typed views (workloads, containers, services, ...).

Views read the located YAML lazily; they never copy it, so every field a rule reads can be turned into
a Location with `at()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from kubelint_py.core.lazy import cached_attribute
from kubelint_py.core.source import Location, Span
from kubelint_py.models.located import YList, YMap

# Where the pod template sits in each workload kind.
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "DeploymentConfig": ("spec", "template"),  # OpenShift; common in real repositories
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
WORKLOAD_KINDS = frozenset(POD_TEMPLATE_PATHS) | {"Pod"}

CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "PodSecurityPolicy", "VolumeAttachment",
    "CertificateSigningRequest", "ClusterIssuer", "FlowSchema", "PriorityLevelConfiguration",
    "ComponentStatus", "ClusterRoleList", "GatewayClass",
})

CONTAINER_FIELDS = (("initContainers", "init"), ("containers", "container"),
                    ("ephemeralContainers", "ephemeral"))


def _walk(node: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(node, YMap):
            return None
        node = node.get(step)
    return node


def _str_map(node: Any) -> dict[str, str]:
    if not isinstance(node, YMap):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in node.items()}


@dataclass(frozen=True, eq=False)
class Resource:
    """One Kubernetes object from one YAML document (or one item of a `kind: List`). Models are not
    changed after loading, so what rules ask of every object (kind, name, ...) is worked out once."""

    path: str
    doc_index: int
    body: YMap
    doc_span: Span

    @cached_attribute
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @cached_attribute
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @cached_attribute
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @cached_attribute
    def metadata(self) -> YMap:
        found = self.body.get_map("metadata")
        return found if found is not None else YMap(self.body.span)

    @cached_attribute
    def name(self) -> str:
        value = self.metadata.get("name")
        if value is None:
            value = self.metadata.get("generateName")
        return "" if value is None else str(value)

    @cached_attribute
    def raw_namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return None if value is None else str(value)

    @property
    def cluster_scoped(self) -> bool:
        return self.kind in CLUSTER_SCOPED_KINDS

    @cached_attribute
    def labels(self) -> dict[str, str]:
        return _str_map(self.metadata.get("labels"))

    @cached_attribute
    def annotations(self) -> dict[str, str]:
        return _str_map(self.metadata.get("annotations"))

    @cached_attribute
    def spec(self) -> YMap:
        found = self.body.get_map("spec")
        return found if found is not None else YMap(self.body.span)

    @property
    def display(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind or "object"

    @property
    def location(self) -> Location:
        """The object's own line: its metadata.name, else its kind, else the document start."""
        meta = self.body.get_map("metadata")
        if meta is not None and "name" in meta:
            return self.at(meta, "name")
        if "kind" in self.body:
            return self.at(self.body, "kind")
        return Location.of(self.path, self.doc_span)

    def at(self, node: YMap | YList | None, key: Any = None, *, on_key: bool = False) -> Location:
        """Location of a field: `at(container, "image")` is the image value; on_key=True the key."""
        if node is None:
            return self.location
        if key is None:
            return Location.of(self.path, node.span)
        if isinstance(node, YMap):
            return Location.of(self.path, node.key_span(key) if on_key else node.value_span(key))
        if isinstance(key, int):
            return Location.of(self.path, node.item_span(key))
        return Location.of(self.path, node.span)

    def key_location(self, node: YMap | None, key: str) -> Location:
        """The `key:` if present, else the mapping that should hold it (for "missing X" findings)."""
        if node is None:
            return self.location
        if key in node:
            return self.at(node, key, on_key=True)
        return Location.of(self.path, node.span)

    def lookup(self, *path: str) -> Any:
        return _walk(self.body, path)

    @cached_attribute
    def workload(self) -> Workload | None:
        return Workload.of(self)

    @cached_attribute
    def embedded_workloads(self) -> tuple[Workload, ...]:
        """Pod templates inside a custom resource (Argo Rollout, JobSet, LeaderWorkerSet, Knative Service,
        Kubeflow jobs, ...), found by their shape: see kubelint_py.models.pod_templates."""
        if self.kind in WORKLOAD_KINDS or "." not in self.group or self.group.endswith(".k8s.io") \
                or self.kind == "CustomResourceDefinition":
            return ()
        from kubelint_py.models.pod_templates import find_pod_templates

        return tuple(Workload(self, template, spec, embedded=True)
                     for template, spec in find_pod_templates(self.spec))

    @cached_attribute
    def all_workloads(self) -> tuple[Workload, ...]:
        """Its own pod template (built-in workload kinds) or the ones a custom resource embeds."""
        return (self.workload,) if self.workload is not None else self.embedded_workloads


@dataclass(frozen=True, eq=False)
class Container:
    resource: Resource
    data: YMap
    kind: str  # "container", "init" or "ephemeral"
    index: int
    owner_list: YList
    owner: Workload | None = None
    """The pod template holding this container (a custom resource may hold several)."""

    @property
    def workload(self) -> Workload | None:
        return self.owner if self.owner is not None else self.resource.workload

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return "" if value is None else str(value)

    @property
    def image(self) -> str | None:
        value = self.data.get("image")
        return None if value is None else str(value)

    @property
    def is_init(self) -> bool:
        return self.kind == "init"

    @property
    def location(self) -> Location:
        """The container's `- name:` line (or the list item when it has no name)."""
        if "name" in self.data:
            return self.resource.at(self.data, "name")
        return self.resource.at(self.owner_list, self.index)

    def at(self, key: str, *, on_key: bool = False) -> Location:
        return self.resource.at(self.data, key, on_key=on_key)

    def get_map(self, key: str) -> YMap | None:
        return self.data.get_map(key)

    def get_list(self, key: str) -> YList | None:
        return self.data.get_list(key)

    @property
    def ports(self) -> list[YMap]:
        found = self.data.get_list("ports")
        return [item for _, item in found.maps()] if found is not None else []


@dataclass(frozen=True, eq=False)
class Workload:
    """A resource that carries a pod spec (Pod, Deployment, CronJob, ...)."""

    resource: Resource
    template: YMap | None  # the pod template (None for a bare Pod)
    pod_spec: YMap
    embedded: bool = False
    """A pod template inside a custom resource, found by its shape."""

    @staticmethod
    def of(resource: Resource) -> Workload | None:
        kind = resource.kind
        if kind == "Pod":
            spec = resource.body.get_map("spec")
            return Workload(resource, None, spec) if spec is not None else None
        path = POD_TEMPLATE_PATHS.get(kind)
        if path is None:
            return None
        template = _walk(resource.body, path)
        if not isinstance(template, YMap):
            return None
        spec = template.get_map("spec")
        return Workload(resource, template, spec) if spec is not None else None

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def template_metadata(self) -> YMap | None:
        if self.template is None:
            return self.resource.body.get_map("metadata")
        return self.template.get_map("metadata")

    @cached_attribute
    def pod_labels(self) -> dict[str, str]:
        return _str_map(self.template_metadata.get("labels") if self.template_metadata is not None else None)

    @cached_attribute
    def pod_annotations(self) -> dict[str, str]:
        meta = self.template_metadata
        return _str_map(meta.get("annotations") if meta is not None else None)

    @cached_attribute
    def containers(self) -> tuple[Container, ...]:
        """Init, regular and ephemeral containers, in that order."""
        found: list[Container] = []
        for field_name, kind in CONTAINER_FIELDS:
            items = self.pod_spec.get_list(field_name)
            if items is None:
                continue
            for index, item in items.maps():
                found.append(Container(self.resource, item, kind, index, items, self))
        return tuple(found)

    def iter_containers(self, *, init: bool = True, ephemeral: bool = False) -> Iterator[Container]:
        for container in self.containers:
            if (container.kind == "init" and not init) or (container.kind == "ephemeral" and not ephemeral):
                continue
            yield container

    @property
    def replicas(self) -> int | None:
        value = self.resource.spec.get("replicas")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def selector(self) -> YMap | None:
        return self.resource.spec.get_map("selector")


class LabelSelector(NamedTuple):
    """A parsed label selector: matchLabels plus matchExpressions, or a Service's plain map."""

    match_labels: tuple[tuple[str, str], ...]
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...]

    @staticmethod
    def parse(node: Any, *, plain: bool = False) -> LabelSelector | None:
        """None when the node is not a selector at all; an empty selector matches everything."""
        if not isinstance(node, YMap):
            return None
        if plain:
            return LabelSelector(tuple((str(k), "" if v is None else str(v)) for k, v in node.items()), ())
        labels = _str_map(node.get("matchLabels"))
        expressions: list[tuple[str, str, tuple[str, ...]]] = []
        found = node.get_list("matchExpressions")
        for _, expr in found.maps() if found is not None else []:
            values = expr.get_list("values")
            expressions.append((str(expr.get("key", "")), str(expr.get("operator", "")),
                                tuple(str(v) for v in values) if values is not None else ()))
        return LabelSelector(tuple(labels.items()), tuple(expressions))

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.expressions

    def matches(self, labels: dict[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for key, operator, values in self.expressions:
            present = key in labels
            if operator == "In" and not (present and labels[key] in values):
                return False
            if operator == "NotIn" and present and labels[key] in values:
                return False
            if operator == "Exists" and not present:
                return False
            if operator == "DoesNotExist" and present:
                return False
        return True


# --- typed views of the kinds that cross-object rules read ---------------------------------------


class Ref(NamedTuple):
    """A reference by name from a pod spec to another object, with where it is written."""

    kind: str
    name: str
    optional: bool
    location: Location
    via: str
    """How the pod refers to it, for messages: `env var 'X' of container 'c' (configMapKeyRef)`."""
    key: str | None = None
    """The key inside a ConfigMap/Secret, for configMapKeyRef/secretKeyRef and volume items."""
    key_location: Location | None = None


class ServiceView(NamedTuple):
    resource: Resource

    @property
    def selector(self) -> LabelSelector | None:
        return LabelSelector.parse(self.resource.spec.get_map("selector"), plain=True)

    @property
    def type(self) -> str:
        value = self.resource.spec.get("type")
        return value if isinstance(value, str) else "ClusterIP"

    @property
    def ports(self) -> list[YMap]:
        found = self.resource.spec.get_list("ports")
        return [item for _, item in found.maps()] if found is not None else []


class IngressView(NamedTuple):
    resource: Resource

    def backends(self) -> Iterator[tuple[YMap, str, Any, YMap, str]]:
        """(backend node, service name, port number or name or None, node holding the port, port field)
        for every Service backend, default ones included, in networking.k8s.io/v1 and the v1beta1 shape."""
        spec = self.resource.spec
        nodes: list[YMap] = []
        for key in ("defaultBackend", "backend"):
            node = spec.get_map(key)
            if node is not None:
                nodes.append(node)
        rules = spec.get_list("rules")
        for _, rule_map in rules.maps() if rules is not None else []:
            http = rule_map.get_map("http")
            paths = http.get_list("paths") if http is not None else None
            for _, path in paths.maps() if paths is not None else []:
                backend = path.get_map("backend")
                if backend is not None:
                    nodes.append(backend)
        for backend in nodes:
            service = backend.get_map("service")
            if service is not None and isinstance(service.get("name"), str):  # networking.k8s.io/v1
                port = service.get_map("port")
                if port is not None and "number" in port:
                    yield service, service["name"], port["number"], port, "number"
                elif port is not None and "name" in port:
                    yield service, service["name"], port["name"], port, "name"
                else:
                    yield service, service["name"], None, service, "name"
            elif isinstance(backend.get("serviceName"), str):  # v1beta1
                yield backend, backend["serviceName"], backend.get("servicePort"), backend, "servicePort"

    def tls_secrets(self) -> Iterator[tuple[YMap, str]]:
        tls = self.resource.spec.get_list("tls")
        for _, entry in tls.maps() if tls is not None else []:
            name = entry.get("secretName")
            if isinstance(name, str) and name:
                yield entry, name


def data_keys(resource: Resource) -> set[str]:
    """Keys of a ConfigMap (data, binaryData) or Secret (data, stringData)."""
    keys: set[str] = set()
    for section in ("data", "binaryData", "stringData"):
        found = resource.body.get_map(section)
        if found is not None:
            keys.update(str(k) for k in found)
    return keys


def _optional(node: YMap) -> bool:
    return node.get("optional") is True


def _keyed(resource: Resource, kind: str, holder: YMap, name_field: str, via: str,
           items: YList | None, optional: bool) -> list[Ref]:
    """A volume source: one Ref for the object, one per `items[].key`."""
    name = holder.get(name_field)
    if not isinstance(name, str) or not name:
        return []
    found = [Ref(kind, name, optional, resource.at(holder, name_field), via)]
    for _, item in items.maps() if items is not None else []:
        key = item.get("key")
        if isinstance(key, str):
            found.append(Ref(kind, name, optional, resource.at(holder, name_field), via, key,
                             resource.at(item, "key")))
    return found


def pod_spec_references(workload: Workload, kind: str | None = None) -> list[Ref]:
    """The pod spec's references to ServiceAccounts, ConfigMaps, Secrets and PVCs (or to one kind only:
    then only the fields that can name that kind are read)."""
    res = workload.resource
    spec = workload.pod_spec
    refs: list[Ref] = []
    if kind in (None, "ServiceAccount"):
        for field_name in ("serviceAccountName", "serviceAccount"):
            name = spec.get(field_name)
            if isinstance(name, str) and name:
                refs.append(Ref("ServiceAccount", name, False, res.at(spec, field_name), field_name))
                break
    for container in workload.containers if kind in (None, "ConfigMap", "Secret") else ():
        env = container.get_list("env")
        for _, item in env.maps() if env is not None else []:
            value_from = item.get_map("valueFrom")
            if value_from is None:
                continue
            for field_name, ref_kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = value_from.get_map(field_name)
                if ref is None or not isinstance(ref.get("name"), str):
                    continue
                key = ref.get("key")
                refs.append(Ref(ref_kind, ref["name"], _optional(ref), res.at(ref, "name"),
                                f"env var '{item.get('name', '')}' of container '{container.name}' ({field_name})",
                                key if isinstance(key, str) else None,
                                res.at(ref, "key") if "key" in ref else None))
        env_from = container.get_list("envFrom")
        for _, item in env_from.maps() if env_from is not None else []:
            for field_name, ref_kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = item.get_map(field_name)
                if ref is not None and isinstance(ref.get("name"), str):
                    refs.append(Ref(ref_kind, ref["name"], _optional(ref), res.at(ref, "name"),
                                    f"envFrom of container '{container.name}' ({field_name})"))
    volumes = spec.get_list("volumes") if kind != "ServiceAccount" else None
    for _, volume in volumes.maps() if volumes is not None else []:
        via = f"volume '{volume.get('name', '')}'"
        source = volume.get_map("configMap")
        if source is not None:
            refs += _keyed(res, "ConfigMap", source, "name", via, source.get_list("items"), _optional(source))
        source = volume.get_map("secret")
        if source is not None:
            refs += _keyed(res, "Secret", source, "secretName", via, source.get_list("items"), _optional(source))
        projected = volume.get_map("projected")
        sources = projected.get_list("sources") if projected is not None else None
        for _, item in sources.maps() if sources is not None else []:
            for field_name, ref_kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                source = item.get_map(field_name)
                if source is not None:
                    refs += _keyed(res, ref_kind, source, "name", f"{via} (projected)", source.get_list("items"),
                                   _optional(source))
        claim = volume.get_map("persistentVolumeClaim")
        if claim is not None and isinstance(claim.get("claimName"), str):
            refs.append(Ref("PersistentVolumeClaim", claim["claimName"], False, res.at(claim, "claimName"), via))
    pull_secrets = spec.get_list("imagePullSecrets") if kind in (None, "Secret") else None
    for _, item in pull_secrets.maps() if pull_secrets is not None else []:
        if isinstance(item.get("name"), str):
            refs.append(Ref("Secret", item["name"], False, res.at(item, "name"), "imagePullSecrets"))
    return refs if kind is None else [ref for ref in refs if ref.kind == kind]
