"""What a pod spec refers to, and whether a referenced object exists (in the linted files, in the
configured external objects, or because something in the files or the cluster creates it)."""

from __future__ import annotations

from kubelint_py.building.boundaries import kustomize_facts_of
from kubelint_py.checks.kubernetes._operators import FIXED_NAMES, possible_owners, secret_names_from_args
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.parsing.placeholders import has_placeholder_name
from kubelint_py.schemas.kubernetes import is_builtin_group

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


def _generated_secrets(index: ProjectIndex, namespace: str | None) -> set[str]:
    """Secrets that controllers create from objects in the files (sealed-secrets, external-secrets,
    cert-manager, service-account tokens); worked out once per namespace and run, not per missing
    Secret (each walk covers every such object of the index)."""
    known: dict[str | None, set[str]] | None = index.derived.get("generated_secrets")
    if known is None:
        known = index.derived["generated_secrets"] = {}
    found = known.get(namespace)
    if found is None:
        found = known[namespace] = _find_generated_secrets(index, namespace)
    return found


def _find_generated_secrets(index: ProjectIndex, namespace: str | None) -> set[str]:
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
    if kind == "Service" and namespace == "kube-system":
        return True  # kube-system holds the cluster's add-ons (DNS, metrics-server, dashboard): rarely in manifests
    if kind == "ClusterRole" and (name in BUILTIN_CLUSTER_ROLES or name.startswith("system:")):
        return True
    if kind == "Role" and namespace == "kube-system" and (name in BUILTIN_ROLES or name.startswith("system:")):
        return True
    if index.exists(kind, namespace, name):
        return True
    if has_placeholder_name(name):
        return True  # `${SECRET_NAME}`, `<KSA_NAME>`: only known after substitution
    if kind == "Secret" and name in _generated_secrets(index, namespace):
        return True
    if (kind, name) in kustomize_facts_of(index).generated:
        return True  # configMapGenerator / secretGenerator of a kustomization in the files
    return kind in OPERATOR_CREATED_KINDS and _operator_may_create(index, kind, namespace, name)


OPERATOR_CREATED_KINDS = frozenset({"Secret", "Service", "ConfigMap", "ServiceAccount", "PersistentVolumeClaim"})


def _owners(index: ProjectIndex) -> dict[str | None, _Owners]:
    """Per namespace: names of custom resources (possible owners of what their operator creates) and
    Secrets that Jobs/Pods create with `--secret-name`. Built once per run."""
    found: dict[str | None, _Owners] | None = index.derived.get("operator_owners")
    if found is not None:
        return found
    found = {}
    for resource in index.resources:
        namespace = index.namespace_of(resource)
        if resource.name and not is_builtin_group(resource.api_version) \
                and resource.kind != "CustomResourceDefinition":
            found.setdefault(namespace, _Owners()).names.add(resource.name)
        workload = resource.workload
        if workload is not None and resource.kind in ("Job", "Pod", "CronJob"):
            for secret in secret_names_from_args(workload.pod_spec):
                found.setdefault(namespace, _Owners()).secrets.add(secret)
    index.derived["operator_owners"] = found
    return found


class _Owners:
    __slots__ = ("names", "secrets")

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.secrets: set[str] = set()


def _operator_may_create(index: ProjectIndex, kind: str, namespace: str | None, name: str) -> bool:
    owners = _owners(index).get(namespace)
    if owners is None:
        return False
    if kind == "Secret" and name in owners.secrets:
        return True
    if not owners.names:
        return False
    return name in FIXED_NAMES or not owners.names.isdisjoint(possible_owners(name))
