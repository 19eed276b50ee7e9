"""Kubernetes API versions that were deprecated or removed: the one table both the deprecated-API rule
and schema validation read.

Each entry: (apiVersion, kind) -> (deprecated in, removed in, replacement apiVersion). Versions are
"major.minor" strings compared numerically. Source: the Kubernetes deprecated API migration guide.
"""

from __future__ import annotations

from typing import NamedTuple


class ApiChange(NamedTuple):
    deprecated_in: str
    removed_in: str
    replacement: str


_EXTENSIONS_KINDS = ("Deployment", "DaemonSet", "ReplicaSet")
REMOVED_APIS: dict[tuple[str, str], ApiChange] = {
    **{("extensions/v1beta1", k): ApiChange("1.8", "1.16", "apps/v1") for k in _EXTENSIONS_KINDS},
    **{("apps/v1beta1", k): ApiChange("1.9", "1.16", "apps/v1") for k in ("Deployment", "StatefulSet")},
    **{("apps/v1beta2", k): ApiChange("1.9", "1.16", "apps/v1")
       for k in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")},
    ("extensions/v1beta1", "NetworkPolicy"): ApiChange("1.9", "1.16", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): ApiChange("1.10", "1.16", "policy/v1beta1"),
    ("extensions/v1beta1", "Ingress"): ApiChange("1.14", "1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "Ingress"): ApiChange("1.19", "1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "IngressClass"): ApiChange("1.19", "1.22", "networking.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"):
        ApiChange("1.16", "1.22", "apiextensions.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"):
        ApiChange("1.16", "1.22", "admissionregistration.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"):
        ApiChange("1.16", "1.22", "admissionregistration.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", "APIService"): ApiChange("1.19", "1.22", "apiregistration.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"):
        ApiChange("1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"):
        ApiChange("1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): ApiChange("1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"):
        ApiChange("1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ApiChange("1.14", "1.22", "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIDriver"): ApiChange("1.19", "1.22", "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "StorageClass"): ApiChange("1.6", "1.22", "storage.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", "Lease"): ApiChange("1.14", "1.22", "coordination.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"):
        ApiChange("1.19", "1.22", "certificates.k8s.io/v1"),
    ("batch/v1beta1", "CronJob"): ApiChange("1.21", "1.25", "batch/v1"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): ApiChange("1.21", "1.25", "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "Event"): ApiChange("1.19", "1.25", "events.k8s.io/v1"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ApiChange("1.22", "1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ApiChange("1.23", "1.26", "autoscaling/v2"),
    ("policy/v1beta1", "PodDisruptionBudget"): ApiChange("1.21", "1.25", "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): ApiChange("1.21", "1.25", "(none: use Pod Security Admission)"),
    ("node.k8s.io/v1beta1", "RuntimeClass"): ApiChange("1.20", "1.25", "node.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"):
        ApiChange("1.23", "1.26", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"):
        ApiChange("1.23", "1.26", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"):
        ApiChange("1.26", "1.29", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration"):
        ApiChange("1.26", "1.29", "flowcontrol.apiserver.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"): ApiChange("1.24", "1.27", "storage.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"):
        ApiChange("1.29", "1.32", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"):
        ApiChange("1.29", "1.32", "flowcontrol.apiserver.k8s.io/v1"),
}


PURE_RENAMES = frozenset({
    *((("rbac.authorization.k8s.io/v1beta1", k)) for k in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
    ("coordination.k8s.io/v1beta1", "Lease"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("batch/v1beta1", "CronJob"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
})
"""Moves the migration guide lists with "no notable changes": the same fields with the same meaning, so
changing apiVersion alone is the whole migration (an autofix). Others rename or re-default fields
(Ingress, the workload kinds, PodDisruptionBudget's empty selector, FlowSchema's shares, ...)."""


def version_tuple(version: str) -> tuple[int, int]:
    """"1.31" or "v1.31.2" -> (1, 31); raises ValueError for anything else."""
    parts = version.strip().lstrip("v").split(".")
    if len(parts) < 2:
        raise ValueError(f"not a Kubernetes version: '{version}' (use e.g. 1.31)")
    return int(parts[0]), int(parts[1])


def api_change(api_version: str, kind: str) -> ApiChange | None:
    return REMOVED_APIS.get((api_version, kind))
