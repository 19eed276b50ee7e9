"""RBAC: roles that grant more than they seem to, and bindings that hand out the keys to the cluster.

On by default only where peers agree (Polaris and Checkov flag pod exec/attach and cluster-admin
bindings by default); the others are available with --extend-select.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Resource
from kubelint_py.models.located import YList, YMap

ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
MAX_RULES = 1000
"""Rules of one role examined (a budget)."""

READ_VERBS = frozenset({"get", "list", "watch", "*"})
ESCALATION_VERBS = frozenset({"bind", "escalate", "impersonate"})
WORKLOAD_GROUPS = {"pods": {""}, "replicationcontrollers": {""}, "deployments": {"apps", "extensions"},
                   "statefulsets": {"apps"}, "daemonsets": {"apps", "extensions"},
                   "replicasets": {"apps", "extensions"}, "jobs": {"batch"}, "cronjobs": {"batch"}}
"""Resources that create pods, and the API groups that serve them (a `jobs` of another group is not one)."""
WORKLOAD_RESOURCES = frozenset(WORKLOAD_GROUPS)
METRICS_GROUPS = frozenset({"metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"})
"""Metrics APIs: their resources are metric names, open-ended, so a reader of them must use `*`."""
DANGEROUS_SUBJECTS = {
    ("Group", "system:masters"): "members of system:masters bypass RBAC entirely; binding it grants nothing "
                                 "and suggests a misunderstanding",
    ("Group", "system:anonymous"): "every unauthenticated request gets this role",
    ("Group", "system:unauthenticated"): "every unauthenticated request gets this role",
    ("User", "system:anonymous"): "every unauthenticated request gets this role",
}


def _words(node: object) -> list[str]:
    return [str(w) for w in node if isinstance(w, str | int)] if isinstance(node, YList) else []


def _rules(resource: Resource) -> Iterator[tuple[YMap, list[str], list[str], list[str]]]:
    """(rule, apiGroups, resources, verbs) of a Role or ClusterRole."""
    if resource.kind not in ROLE_KINDS or resource.group != "rbac.authorization.k8s.io":
        return
    rules = resource.body.get_list("rules")
    for count, (_, item) in enumerate(rules.maps() if rules is not None else []):
        if count >= MAX_RULES:
            return
        yield item, _words(item.get("apiGroups")), _words(item.get("resources")), _words(item.get("verbs"))


def _core(groups: list[str]) -> bool:
    return "" in groups or "*" in groups


_RBAC_TAGS = ("security", "rbac")


@rule(
    code="KS320", name="rbac-wildcard", target=Target.K8S_OBJECT, kinds=ROLE_KINDS, severity=Severity.WARNING,
    summary="Role or ClusterRole grants `*` verbs or resources",
    rationale="A wildcard grants everything that exists, and everything added later: new resources, "
              "subresources such as pods/exec, and custom resources of operators installed next year "
              "(CIS Kubernetes Benchmark 5.1.3).",
    fix="List the verbs and resources the subject needs.",
    tags=_RBAC_TAGS, enabled_by_default=False, aliases=("wildcard-in-rules", "CKV_K8S_49"),
)
def rbac_wildcard(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for item, groups, resources, verbs in _rules(resource):
        for field, values in (("verbs", verbs), ("resources", resources)):
            if field == "resources" and groups and set(groups) <= METRICS_GROUPS and set(verbs) <= READ_VERBS - {"*"}:
                continue  # reading every metric of a metrics API (an HPA's reader): names cannot be listed
            if "*" in values:
                yield Violation(f"{resource.display} grants `*` {field}; list the {field} it needs",
                                resource.at(item, field))


@rule(
    code="KS321", name="cluster-admin-binding", target=Target.K8S_OBJECT, kinds=BINDING_KINDS,
    severity=Severity.WARNING,
    summary="A binding grants the cluster-admin ClusterRole",
    rationale="cluster-admin can do anything to any object in the cluster; a compromised pod or a leaked "
              "token of a subject bound to it owns the cluster (CIS Kubernetes Benchmark 5.1.1).",
    fix="Bind a role that grants only what the subject needs.",
    tags=_RBAC_TAGS, aliases=("cluster-admin-role-binding", "clusterrolebindingClusterAdmin"),
)
def cluster_admin_binding(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind not in BINDING_KINDS or resource.group != "rbac.authorization.k8s.io":
        return
    ref = resource.body.get_map("roleRef")
    if ref is not None and ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
        yield Violation(f"{resource.display} grants cluster-admin; bind a role with only the permissions needed",
                        resource.at(ref, "name"))


@rule(
    code="KS322", name="rbac-pod-exec-attach", target=Target.K8S_OBJECT, kinds=ROLE_KINDS, severity=Severity.WARNING,
    summary="Role or ClusterRole allows exec or attach into pods",
    rationale="pods/exec and pods/attach run commands inside any pod the role reaches, with that pod's "
              "service account, secrets and network access.",
    fix="Remove pods/exec and pods/attach, or keep them in a role bound only to the people who debug.",
    tags=_RBAC_TAGS, aliases=("clusterrolePodExecAttach", "rolePodExecAttach"),
)
def rbac_pod_exec_attach(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for item, groups, resources, verbs in _rules(resource):
        found = [r for r in resources if r in ("pods/exec", "pods/attach")]
        # exec and attach are `create` (SPDY) or `get` (WebSocket) on the subresource.
        if found and _core(groups) and ({"create", "get", "*"} & set(verbs)):
            listed = item.get_list("resources")
            where = resource.at(listed, next(i for i, r in enumerate(listed) if r == found[0])) \
                if listed is not None and found[0] in listed else resource.at(item, "resources")
            yield Violation(f"{resource.display} allows {' and '.join(found)}: commands inside the pods it "
                            "reaches; keep this for debugging roles only", where)


@rule(
    code="KS323", name="rbac-secrets-read", target=Target.K8S_OBJECT, kinds=ROLE_KINDS, severity=Severity.INFO,
    summary="Role or ClusterRole can read Secrets",
    rationale="get, list or watch on secrets reads every credential in its scope: list returns their "
              "values too (CIS Kubernetes Benchmark 5.1.2).",
    fix="Mount the one Secret the workload needs instead, or narrow the rule with resourceNames.",
    tags=_RBAC_TAGS, enabled_by_default=False, aliases=("access-to-secrets",),
)
def rbac_secrets_read(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for item, groups, resources, verbs in _rules(resource):
        if _core(groups) and ("secrets" in resources or "*" in resources) and READ_VERBS & set(verbs) \
                and not isinstance(item.get("resourceNames"), YList):
            yield Violation(f"{resource.display} can read every Secret in its scope; narrow it with "
                            "resourceNames or mount the Secret instead", resource.at(item, "verbs"))


@rule(
    code="KS324", name="rbac-create-pods", target=Target.K8S_OBJECT, kinds=ROLE_KINDS, severity=Severity.INFO,
    summary="Role or ClusterRole can create pods (or workloads that create them)",
    rationale="Whoever can create a pod can run it with any ServiceAccount, Secret and host setting its "
              "namespace allows (CIS Kubernetes Benchmark 5.1.4).",
    fix="Limit pod creation to the controllers and deploy pipelines that need it.",
    tags=_RBAC_TAGS, enabled_by_default=False, aliases=("access-to-create-pods",),
)
def rbac_create_pods(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for item, groups, resources, verbs in _rules(resource):
        found = sorted(r for r in WORKLOAD_RESOURCES & set(resources)
                       if "*" in groups or WORKLOAD_GROUPS[r] & set(groups))
        if found and ({"create", "*"} & set(verbs)):
            yield Violation(f"{resource.display} can create {', '.join(found)}", resource.at(item, "verbs"))


@rule(
    code="KS325", name="rbac-escalation-verbs", target=Target.K8S_OBJECT, kinds=ROLE_KINDS, severity=Severity.WARNING,
    summary="Role or ClusterRole grants bind, escalate or impersonate",
    rationale="bind and escalate let a subject grant itself permissions it does not have; impersonate lets "
              "it act as any user, group or ServiceAccount. Each is a path to cluster-admin.",
    fix="Remove these verbs; keep them for the few controllers that manage RBAC.",
    tags=_RBAC_TAGS, enabled_by_default=False,
)
def rbac_escalation_verbs(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    for item, _, _, verbs in _rules(resource):
        found = sorted(ESCALATION_VERBS & set(verbs))
        if found:
            yield Violation(f"{resource.display} grants {', '.join(found)}: a path to any permission",
                            resource.at(item, "verbs"))


@rule(
    code="KS326", name="rbac-dangerous-subject", target=Target.K8S_OBJECT, kinds=BINDING_KINDS,
    severity=Severity.WARNING,
    summary="A binding names system:anonymous, system:unauthenticated or system:masters",
    rationale="Binding system:anonymous or system:unauthenticated grants the role to anyone who can reach "
              "the API server; system:masters already bypasses RBAC, so binding it is a mistake.",
    fix="Bind the role to the users, groups or ServiceAccounts that need it.",
    tags=_RBAC_TAGS, enabled_by_default=False,
)
def rbac_dangerous_subject(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind not in BINDING_KINDS or resource.group != "rbac.authorization.k8s.io":
        return
    subjects = resource.body.get_list("subjects")
    for _, subject in subjects.maps() if subjects is not None else []:
        why = DANGEROUS_SUBJECTS.get((str(subject.get("kind")), str(subject.get("name"))))
        if why:
            yield Violation(f"{resource.display} binds {subject.get('kind')} {subject.get('name')}: {why}",
                            resource.at(subject, "name"))
