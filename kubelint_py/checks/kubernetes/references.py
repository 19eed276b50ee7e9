"""References between objects that do not resolve, and objects defined twice.

Everything the linted paths contain is one project. An object counts as existing when the files
define it, when the configuration lists it under external objects, when a controller creates it from
an object in the files (SealedSecret, ExternalSecret, cert-manager Certificate), or when every cluster
has it (the `default` ServiceAccount, the `kube-root-ca.crt` ConfigMap). `optional: true` references
never fire. Findings are warnings: the object may be created outside the repository.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from kubelint_py.building.boundaries import boundaries_of
from kubelint_py.checks.kubernetes._partial import is_patch_file
from kubelint_py.checks.kubernetes._references import (
    CERT_MANAGER_ANNOTATIONS,
    object_exists,
)
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import (
    IngressView,
    Ref,
    Resource,
    ServiceView,
    Workload,
    data_keys,
    pod_spec_references,
)

_LAST_REFS: list[Any] = [None, []]
"""The last workload's references (all kinds): six rules here read them one after the other."""


def _references(workload: Workload, kind: str) -> list[Ref]:
    """pod_spec_references(workload, kind), read once per workload: the same list, filtered by kind
    (the kind-only reading gives exactly the references of that kind, in the same order)."""
    if _LAST_REFS[0] is not workload:
        _LAST_REFS[1] = pod_spec_references(workload)
        _LAST_REFS[0] = workload
    return [ref for ref in _LAST_REFS[1] if ref.kind == kind]


_EXTERNAL_HINT = "define it, or list it under external-objects in .kubelint.yaml if it is created outside these files"


def _missing(workload: Workload, ctx: RuleContext, kind: str,
             provided: frozenset[str] = frozenset()) -> Iterator[Violation]:
    if is_patch_file(workload.resource, ctx.index.patch_files):
        return  # a patch's references are the base's: checked where the base is
    namespace = ctx.index.namespace_of(workload.resource)
    reported: set[tuple[str, str]] = set()
    for ref in _references(workload, kind):
        if ref.optional or ref.name in provided or (ref.name, ref.via) in reported:
            continue
        if object_exists(ctx.index, kind, namespace, ref.name):
            continue
        reported.add((ref.name, ref.via))
        yield Violation(f"{ref.via} in {workload.resource.display} refers to {kind} '{ref.name}', which is not "
                        f"defined in namespace '{namespace}'; {_EXTERNAL_HINT}", ref.location)


_REF_TAGS = ("reliability", "cross-object", "reference")


@rule(
    code="KS601", name="service-account-not-found", target=Target.K8S_WORKLOAD, severity=Severity.INFO,
    summary="serviceAccountName names a ServiceAccount that is not defined",
    rationale="The pod is rejected at creation (\"serviceaccount not found\"): the workload exists but no "
              "pod ever starts. Info, not a warning: ServiceAccounts bound to cloud identities (GKE Workload "
              "Identity, EKS IRSA) are commonly created by the platform's own tooling rather than in manifests, "
              "so a missing one is often expected; the finding lists what must exist before deploying.",
    fix="Define the ServiceAccount in the same namespace, correct the name, or declare it as external.",
    tags=_REF_TAGS, aliases=("non-existent-service-account",),
)
def service_account_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(workload, ctx, "ServiceAccount")


@rule(
    code="KS602", name="configmap-not-found", target=Target.K8S_WORKLOAD, severity=Severity.INFO,
    summary="Pod refers to a ConfigMap that is not defined",
    rationale="A pod whose env, envFrom or volume names a missing ConfigMap stays in "
              "CreateContainerConfigError or ContainerCreating until the ConfigMap appears. Info, not a "
              "warning: ConfigMaps are often generated from files (Helm, `kubectl create configmap "
              "--from-file`, generators this run cannot see), so a missing one is often expected; kustomize "
              "configMapGenerator names in the files count as defined.",
    fix="Define the ConfigMap in the pod's namespace, fix the name, mark the reference `optional: true`, "
        "or declare it as external.",
    tags=_REF_TAGS,
)
def configmap_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(workload, ctx, "ConfigMap")


@rule(
    code="KS603", name="secret-not-found", target=Target.K8S_WORKLOAD, severity=Severity.INFO,
    summary="Pod refers to a Secret that is not defined",
    rationale="A pod whose env, envFrom, volume or imagePullSecrets names a missing Secret does not start "
              "(or cannot pull its image) until the Secret appears. Info, not a warning: Secrets are rightly "
              "kept out of repositories (created by hand, by CI or by a secret manager), so a Secret the files "
              "do not define is usually expected; the finding lists what must exist before deploying. Secrets "
              "that objects in the files create (SealedSecret, ExternalSecret, cert-manager Certificate, "
              "operators' custom resources, Jobs passing --secret-name) count as defined.",
    fix="Define the Secret (or the SealedSecret/ExternalSecret that creates it), fix the name, mark the "
        "reference `optional: true`, or declare it as external.",
    tags=_REF_TAGS,
)
def secret_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(workload, ctx, "Secret")


def _missing_keys(workload: Workload, ctx: RuleContext, kind: str) -> Iterator[Violation]:
    namespace = ctx.index.namespace_of(workload.resource)
    for ref in _references(workload, kind):
        if ref.key is None or ref.optional:
            continue
        defined = ctx.index.get(kind, namespace, ref.name)
        if not defined or any(ref.key in data_keys(obj) for obj in defined):
            continue
        target = defined[0]
        keys = sorted(data_keys(target))
        known = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "") if keys else "none"
        yield Violation(f"{ref.via} in {workload.resource.display} uses key '{ref.key}' of {kind} '{ref.name}', "
                        f"which has no such key (keys: {known}); fix the key or add it",
                        ref.key_location or ref.location,
                        (Related(target.location, f"{kind} '{ref.name}'"),))


@rule(
    code="KS604", name="configmap-key-not-found", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod uses a key that its ConfigMap does not contain",
    rationale="A configMapKeyRef or volume item naming a key the ConfigMap lacks keeps the pod from "
              "starting (CreateContainerConfigError); it is usually a typo or a renamed key.",
    fix="Use one of the ConfigMap's keys, add the key to its `data`, or mark the reference optional.",
    tags=_REF_TAGS,
)
def configmap_key_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing_keys(workload, ctx, "ConfigMap")


@rule(
    code="KS605", name="secret-key-not-found", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod uses a key that its Secret does not contain",
    rationale="A secretKeyRef or volume item naming a key the Secret lacks keeps the pod from starting "
              "(CreateContainerConfigError).",
    fix="Use one of the Secret's keys (`data` or `stringData`), add the key, or mark the reference optional.",
    tags=_REF_TAGS,
)
def secret_key_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing_keys(workload, ctx, "Secret")


@rule(
    code="KS606", name="pvc-not-found", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Volume refers to a PersistentVolumeClaim that is not defined",
    rationale="A pod whose volume names a missing PersistentVolumeClaim stays Pending.",
    fix="Define the PersistentVolumeClaim, fix claimName, or use volumeClaimTemplates in a StatefulSet.",
    tags=_REF_TAGS,
)
def pvc_not_found(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    # A StatefulSet's volumeClaimTemplates create the claims its pods use.
    claimed: set[str] = set()
    templates = workload.resource.spec.get_list("volumeClaimTemplates") if workload.kind == "StatefulSet" else None
    for _, template in templates.maps() if templates is not None else []:
        meta = template.get_map("metadata")
        if meta is not None and isinstance(meta.get("name"), str):
            claimed.add(meta["name"])
    yield from _missing(workload, ctx, "PersistentVolumeClaim", frozenset(claimed))


@rule(
    code="KS607", name="role-binding-role-not-found", target=Target.K8S_OBJECT,
    kinds=("RoleBinding", "ClusterRoleBinding"), severity=Severity.WARNING,
    summary="RoleBinding or ClusterRoleBinding roleRef names a role that is not defined",
    rationale="A binding to a missing role grants nothing: the subjects get \"forbidden\" errors that "
              "look like a permissions bug elsewhere.",
    fix="Define the Role or ClusterRole, or correct roleRef.kind and roleRef.name.",
    tags=_REF_TAGS,
)
def role_binding_role_not_found(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind not in ("RoleBinding", "ClusterRoleBinding"):
        return
    ref = resource.body.get_map("roleRef")
    if ref is None or not isinstance(ref.get("name"), str) or ref.get("kind") not in ("Role", "ClusterRole"):
        return
    kind = str(ref["kind"])
    namespace = ctx.index.namespace_of(resource) if kind == "Role" else None
    if object_exists(ctx.index, kind, namespace, ref["name"]):
        return
    where = f" in namespace '{namespace}'" if namespace else ""
    yield Violation(f"{resource.display} binds {kind} '{ref['name']}', which is not defined{where}; "
                    f"{_EXTERNAL_HINT}", resource.at(ref, "name"))


@rule(
    code="KS608", name="statefulset-service-not-found", target=Target.K8S_OBJECT, kinds=("StatefulSet",),
    severity=Severity.WARNING,
    summary="StatefulSet serviceName names a Service that is not defined, not headless, or not selecting its pods",
    rationale="The governing Service gives StatefulSet pods their stable DNS names; without it, or when it is "
              "not headless (`clusterIP: None`) or does not select the pods, `pod-0.service` does not resolve "
              "and peers cannot find each other.",
    fix="Define a headless Service (`clusterIP: None`) with that name selecting the pods, or fix the name.",
    tags=_REF_TAGS,
)
def statefulset_service_not_found(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "StatefulSet":
        return
    name = resource.spec.get("serviceName")
    if not isinstance(name, str) or not name:
        return
    namespace = ctx.index.namespace_of(resource)
    if not object_exists(ctx.index, "Service", namespace, name):
        yield Violation(f"StatefulSet '{resource.name}' has serviceName '{name}', but no such Service is defined "
                        f"in namespace '{namespace}'; {_EXTERNAL_HINT}", resource.at(resource.spec, "serviceName"))
        return
    services = ctx.index.get("Service", namespace, name)
    if not services:
        return  # external or created by something in the files: nothing to compare
    workload = resource.workload
    pod_labels = workload.pod_labels if workload is not None else {}
    problems = []
    for service in services:
        view = ServiceView(service)
        selector = view.selector
        headless = service.spec.get("clusterIP") == "None"
        selects = selector is not None and not selector.is_empty and selector.matches(pod_labels)
        if headless and selects:
            return  # one good governing Service is enough
        problems.append((service, headless, selects))
    service, headless, selects = problems[0]
    what = " and ".join(w for w, bad in (("is not headless (clusterIP: None)", not headless),
                                         ("does not select its pods", not selects)) if bad)
    yield Violation(f"StatefulSet '{resource.name}' is governed by Service '{name}', which {what}: its pods get no "
                    "stable DNS names; make the Service headless and select the pod template's labels",
                    resource.at(resource.spec, "serviceName"), (Related(service.location, f"Service '{name}'"),))


@rule(
    code="KS609", name="ingress-service-not-found", target=Target.K8S_OBJECT, kinds=("Ingress",),
    severity=Severity.WARNING,
    summary="Ingress backend names a Service that is not defined",
    rationale="Requests routed to a missing Service get a 503 from the ingress controller.",
    fix="Define the Service in the Ingress's namespace or correct the backend's service name.",
    tags=_REF_TAGS,
)
def ingress_service_not_found(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "Ingress":
        return
    namespace = ctx.index.namespace_of(resource)
    for node, name, _, _, _ in IngressView(resource).backends():
        port_name = node.get("port", {}).get("name") if isinstance(node.get("port"), dict) else None
        if f"alb.ingress.kubernetes.io/actions.{name}" in resource.annotations or port_name == "use-annotation":
            continue  # AWS Load Balancer Controller: the "service" is an action (annotation, or one Argo writes)
        if not object_exists(ctx.index, "Service", namespace, name):
            field = "name" if "name" in node and "serviceName" not in node else "serviceName"
            yield Violation(f"Ingress '{resource.name}' routes to Service '{name}', which is not defined in "
                            f"namespace '{namespace}'; {_EXTERNAL_HINT}", resource.at(node, field))


@rule(
    code="KS610", name="ingress-tls-secret-not-found", target=Target.K8S_OBJECT, kinds=("Ingress",),
    severity=Severity.INFO,
    summary="Ingress TLS secretName names a Secret that is not defined",
    rationale="Without its TLS Secret the ingress controller serves its default (usually self-signed) "
              "certificate, and clients fail the TLS handshake. Info, as KS603: TLS keys are rightly kept out "
              "of repositories, so a Secret the files do not define is usually created elsewhere.",
    fix="Define the Secret, create it with cert-manager (annotate the Ingress with an issuer or add a "
        "Certificate), or declare it as external.",
    tags=_REF_TAGS,
)
def ingress_tls_secret_not_found(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "Ingress":
        return
    if any(key in resource.annotations for key in CERT_MANAGER_ANNOTATIONS) \
            or resource.annotations.get("kubernetes.io/tls-acme") == "true":
        return  # cert-manager creates the Secret
    namespace = ctx.index.namespace_of(resource)
    for item, name in IngressView(resource).tls_secrets():
        if not object_exists(ctx.index, "Secret", namespace, name):
            yield Violation(f"Ingress '{resource.name}' uses TLS Secret '{name}', which is not defined in "
                            f"namespace '{namespace}'; {_EXTERNAL_HINT}", resource.at(item, "secretName"))


@rule(
    code="KS611", name="hpa-target-not-found", target=Target.K8S_OBJECT, kinds=("HorizontalPodAutoscaler",),
    severity=Severity.WARNING,
    summary="HorizontalPodAutoscaler targets a workload that is not defined",
    rationale="An autoscaler whose scaleTargetRef resolves to nothing scales nothing and reports "
              "FailedGetScale events, so the workload it was meant for runs unscaled.",
    fix="Correct scaleTargetRef (kind, name and namespace) or define the workload.",
    tags=_REF_TAGS,
)
def hpa_target_not_found(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    if resource.kind != "HorizontalPodAutoscaler":
        return
    ref = resource.spec.get_map("scaleTargetRef")
    if ref is None or not isinstance(ref.get("name"), str) or not isinstance(ref.get("kind"), str):
        return
    namespace = ctx.index.namespace_of(resource)
    if not object_exists(ctx.index, ref["kind"], namespace, ref["name"]):
        yield Violation(f"HorizontalPodAutoscaler '{resource.name}' targets {ref['kind']} '{ref['name']}', which "
                        f"is not defined in namespace '{namespace}'; {_EXTERNAL_HINT}", resource.at(ref, "name"))


_Key = tuple[str, str, str | None, str]


def _alternatives(a: set[_Key], b: set[_Key]) -> bool:
    """Two files in one folder that share a quarter or more of the smaller one's objects are alternative
    versions of each other (install.yaml and namespace-install.yaml, all-in-one.yaml and its parts,
    Kubernetes and OpenShift variants, zipkin.yaml and skywalking.yaml), not objects applied twice."""
    return len(a & b) * 4 >= min(len(a), len(b))


@rule(
    code="KS612", name="duplicate-object", target=Target.PROJECT, severity=Severity.WARNING,
    summary="The same object is defined twice",
    rationale="Two definitions of one object (API group, kind, namespace, name) overwrite each other on "
              "apply: whichever is applied last wins, silently.",
    fix="Remove one definition, or give them different names or namespaces.",
    tags=("correctness", "cross-object"),
)
def duplicate_object(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    # Definitions in different folders are alternatives (kustomize bases and overlays, one folder per
    # environment or per example), not one object applied twice: only same-folder duplicates count,
    # and of those only ones in the same file or in files that are not variants of each other.
    # One pass keyed by the object alone (most keys are unique); folders and each file's keys are
    # worked out only for the keys defined more than once.
    by_key: dict[_Key, list[Resource]] = {}
    namespace_of = index.namespace_of
    for resource in index.resources:
        if not resource.name or resource.metadata.get("name") is None:
            continue  # generateName objects are unique by construction
        key = (resource.group, resource.kind, namespace_of(resource), resource.name)
        same = by_key.get(key)
        if same is None:
            by_key[key] = [resource]
        else:
            same.append(resource)
    repeated = {key: found for key, found in by_key.items() if len(found) > 1}
    keys_of_file: dict[str, set[_Key]] = defaultdict(set)
    if repeated:
        paths = {r.path for found in repeated.values() for r in found}
        for key, found in by_key.items():
            for resource in found:
                if resource.path in paths:
                    keys_of_file[resource.path].add(key)
    groups: dict[tuple[_Key, str], list[Resource]] = defaultdict(list)
    folders: dict[str, str] = {}
    for key, found in repeated.items():
        for resource in found:
            folder = folders.get(resource.path)
            if folder is None:  # one path per file, many objects per path
                folder = folders[resource.path] = os.path.dirname(os.path.abspath(resource.path))
            groups[(key, folder)].append(resource)
    bounds = boundaries_of(index)  # two unrelated samples of a monorepo may both define Service/web
    for ((_, kind, namespace, name), _), found in groups.items():
        if len(found) < 2:
            continue
        # Both sides are reported, each pointing at the other: a pre-commit run reports only the changed
        # file, and the duplicate it adds must fail the commit whichever file comes first.
        found.sort(key=lambda r: (r.path, r.doc_index))
        answered: set[int] = set()
        for position, other in enumerate(found[1:], 1):
            # An identical re-declaration (the Namespace repeated in each file) is harmless.
            first = next((f for f in found[:position] if f.body != other.body and bounds.related(f.path, other.path)
                          and (f.path == other.path
                               or not _alternatives(keys_of_file[f.path], keys_of_file[other.path]))), None)
            if first is None:
                continue
            where = f" in namespace '{namespace}'" if namespace else ""
            yield Violation(f"{kind} '{name}'{where} is defined again (first at {first.path}:"
                            f"{first.location.line}); remove one definition", other.location,
                            (Related(first.location, "first definition"),))
            if id(first) not in answered:
                answered.add(id(first))
                yield Violation(f"{kind} '{name}'{where} is defined again at {other.path}:{other.location.line}; "
                                "remove one definition", first.location, (Related(other.location, "other definition"),))
