"""What a pod spec refers to, and whether a referenced object exists (in the linted files, in the
configured external objects, or because something in the files or the cluster creates it)."""

from __future__ import annotations

from dataclasses import dataclass

from kubelint_py.index import ProjectIndex
from kubelint_py.models.kubernetes import Resource, Workload
from kubelint_py.models.located import YList, YMap
from kubelint_py.source import Location

# Objects every cluster (or the usual add-ons) creates in each namespace.
ALWAYS_PRESENT: dict[str, frozenset[str]] = {
    "ServiceAccount": frozenset({"default"}),
    "ConfigMap": frozenset({"kube-root-ca.crt", "istio-ca-root-cert", "openshift-service-ca.crt"}),
}
BUILTIN_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})
# Roles the API server bootstraps in kube-system (besides the `system:` ones).
BUILTIN_ROLES = frozenset({"extension-apiserver-authentication-reader"})
CERT_MANAGER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer",
                            "certmanager.k8s.io/cluster-issuer", "certmanager.k8s.io/issuer")


@dataclass(frozen=True, slots=True)
class Ref:
    kind: str
    name: str
    optional: bool
    location: Location
    via: str
    """How the pod refers to it, for messages: `env var X (configMapKeyRef)`."""
    key: str | None = None
    key_location: Location | None = None


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


def pod_references(workload: Workload, kind: str) -> list[Ref]:
    """The pod's references to objects of one kind (only the fields that can name that kind are read)."""
    res = workload.resource
    spec = workload.pod_spec
    refs: list[Ref] = []
    if kind == "ServiceAccount":
        for field in ("serviceAccountName", "serviceAccount"):
            name = spec.get(field)
            if isinstance(name, str) and name:
                return [Ref("ServiceAccount", name, False, res.at(spec, field), field)]
        return []
    for container in workload.containers if kind in ("ConfigMap", "Secret") else ():
        env = container.get_list("env")
        for _, item in env.maps() if env is not None else []:
            value_from = item.get_map("valueFrom")
            if value_from is None:
                continue
            for field, ref_kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = value_from.get_map(field)
                if ref is None or not isinstance(ref.get("name"), str):
                    continue
                key = ref.get("key")
                refs.append(Ref(ref_kind, ref["name"], _optional(ref), res.at(ref, "name"),
                                f"env var '{item.get('name', '')}' of container '{container.name}' ({field})",
                                key if isinstance(key, str) else None,
                                res.at(ref, "key") if "key" in ref else None))
        env_from = container.get_list("envFrom")
        for _, item in env_from.maps() if env_from is not None else []:
            for field, ref_kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = item.get_map(field)
                if ref is not None and isinstance(ref.get("name"), str):
                    refs.append(Ref(ref_kind, ref["name"], _optional(ref), res.at(ref, "name"),
                                    f"envFrom of container '{container.name}' ({field})"))
    volumes = spec.get_list("volumes")
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
            for field, ref_kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                source = item.get_map(field)
                if source is not None:
                    refs += _keyed(res, ref_kind, source, "name", f"{via} (projected)", source.get_list("items"),
                                   _optional(source))
        claim = volume.get_map("persistentVolumeClaim")
        if claim is not None and isinstance(claim.get("claimName"), str):
            refs.append(Ref("PersistentVolumeClaim", claim["claimName"], False, res.at(claim, "claimName"), via))
    pull_secrets = spec.get_list("imagePullSecrets") if kind == "Secret" else None
    for _, item in pull_secrets.maps() if pull_secrets is not None else []:
        if isinstance(item.get("name"), str):
            refs.append(Ref("Secret", item["name"], False, res.at(item, "name"), "imagePullSecrets"))
    return [ref for ref in refs if ref.kind == kind]


def _generated_secrets(index: ProjectIndex, namespace: str | None) -> set[str]:
    """Secrets that controllers create from objects in the files (sealed-secrets, external-secrets,
    cert-manager, service-account tokens)."""
    names: set[str] = set()
    for resource in index.of_kind("SealedSecret", namespace):
        names.add(resource.name)
        template = resource.spec.get_map("template")
        meta = template.get_map("metadata") if template is not None else None
        if meta is not None and isinstance(meta.get("name"), str):
            names.add(meta["name"])
    for kind in ("ExternalSecret", "ClusterExternalSecret", "VaultStaticSecret", "VaultDynamicSecret",
                 "OnePasswordItem", "InfisicalSecret"):
        for resource in index.of_kind(kind, namespace):
            names.add(resource.name)
            for holder in ("target", "destination"):
                node = resource.spec.get_map(holder)
                if node is not None and isinstance(node.get("name"), str):
                    names.add(node["name"])
    for resource in index.of_kind("Certificate", namespace):
        if isinstance(resource.spec.get("secretName"), str):
            names.add(resource.spec["secretName"])
    return names


def object_exists(index: ProjectIndex, kind: str, namespace: str | None, name: str) -> bool:
    if name in ALWAYS_PRESENT.get(kind, ()):
        return True
    if kind == "Service" and namespace == "default" and name == "kubernetes":
        return True
    if kind == "ClusterRole" and (name in BUILTIN_CLUSTER_ROLES or name.startswith("system:")):
        return True
    if kind == "Role" and namespace == "kube-system" and (name in BUILTIN_ROLES or name.startswith("system:")):
        return True
    if index.exists(kind, namespace, name):
        return True
    return kind == "Secret" and name in _generated_secrets(index, namespace)
