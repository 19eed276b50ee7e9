"""Hardening beyond the basics: service-account tokens, seccomp, capabilities, host paths, /proc.

Severities are low (info) where the setting is defence in depth rather than a hole, and each rule is on
by default only where peers agree (Polaris and Checkov: automountServiceAccountToken, seccomp, procMount,
hostPath).
"""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.kubernetes._common import is_patch_fragment, is_windows_pod, pod_spec_of, security_value
from kubelint_py.core.source import Location
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container, Workload
from kubelint_py.models.located import YList, YMap


def _service_account(workload: Workload) -> str:
    name = workload.pod_spec.get("serviceAccountName") or workload.pod_spec.get("serviceAccount")
    return str(name) if name else "default"


def _bound_accounts(index: ProjectIndex) -> set[tuple[str | None, str]]:
    """(namespace, name) of every ServiceAccount some (Cluster)RoleBinding in the files names: those
    workloads talk to the API server on purpose. Built once per run."""
    found: set[tuple[str | None, str]] | None = index.derived.get("bound_service_accounts")
    if found is not None:
        return found
    found = set()
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for binding in index.of_kind(kind):
            subjects = binding.body.get_list("subjects")
            for _, subject in subjects.maps() if subjects is not None else []:
                if subject.get("kind") == "ServiceAccount" and isinstance(subject.get("name"), str):
                    namespace = subject.get("namespace") or index.namespace_of(binding)
                    found.add((str(namespace) if namespace else None, subject["name"]))
    index.derived["bound_service_accounts"] = found
    return found


@rule(
    code="KS319", name="service-account-token-mounted", target=Target.K8S_WORKLOAD, severity=Severity.INFO,
    summary="Pod mounts a service-account token it does not seem to need",
    rationale="Every pod gets an API token unless automountServiceAccountToken is false; a compromised "
              "container can use it against the API server. Reported only for pods whose ServiceAccount no "
              "RoleBinding in the files names (they do not talk to the API on purpose).",
    fix="Set `automountServiceAccountToken: false` in the pod spec (or on its ServiceAccount).",
    tags=("security",), aliases=("automountServiceAccountToken", "CKV_K8S_38"),
)
def service_account_token_mounted(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    spec = workload.pod_spec
    if spec.get("automountServiceAccountToken") is False or is_windows_pod(spec):
        return
    if not any(not is_patch_fragment(c) for c in workload.containers):
        return
    namespace = ctx.index.namespace_of(workload.resource)
    account = _service_account(workload)
    if (namespace, account) in _bound_accounts(ctx.index):
        return
    for sa in ctx.index.get("ServiceAccount", namespace, account):
        if sa.body.get("automountServiceAccountToken") is False:
            return
    yield Violation(f"{workload.resource.display} mounts the API token of ServiceAccount '{account}', which no "
                    "RoleBinding here names; set automountServiceAccountToken: false", _pod_spec_location(workload))


@rule(
    code="KS327", name="default-service-account", target=Target.K8S_WORKLOAD, severity=Severity.INFO,
    summary="Pod runs as its namespace's default ServiceAccount",
    rationale="Permissions granted to `default` reach every pod of the namespace that does not choose "
              "another account; a dedicated ServiceAccount per workload keeps grants precise.",
    fix="Create a ServiceAccount for the workload and set serviceAccountName.",
    tags=("security",), enabled_by_default=False, aliases=("default-service-account",),
)
def default_service_account(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    if _service_account(workload) == "default" and any(not is_patch_fragment(c) for c in workload.containers):
        yield Violation(f"{workload.resource.display} uses the namespace's default ServiceAccount; give it its "
                        "own", _pod_spec_location(workload))


def _pod_spec_location(workload: Workload) -> Location:
    """The pod template's `spec:` key (where a pod-level setting goes), else the object."""
    if workload.template is None:
        return workload.resource.location
    return workload.resource.at(workload.template, "spec", on_key=True)


@rule(
    code="KS318", name="seccomp-profile-unset", target=Target.K8S_CONTAINER, severity=Severity.INFO,
    summary="Container runs without a seccomp profile",
    rationale="Without `seccompProfile: {type: RuntimeDefault}` (pod or container level) a container may "
              "call every system call the kernel offers; the runtime's default profile blocks the rarely "
              "needed and often exploited ones. The restricted Pod Security Standard requires it.",
    fix="Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod spec.",
    tags=("security",), aliases=("CKV_K8S_31",),
)
def seccomp_profile_unset(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container) or container.kind == "ephemeral" or is_windows_pod(pod_spec_of(container)):
        return
    profile, _ = security_value(container, "seccompProfile")
    if isinstance(profile, YMap) and profile.get("type") in ("RuntimeDefault", "Localhost"):
        return
    if isinstance(profile, YMap) and profile.get("type") == "Unconfined":
        yield Violation(f"container '{container.name}' in {container.resource.display} runs with seccomp "
                        "Unconfined; use RuntimeDefault", container.location)
        return
    annotations = container.workload.pod_annotations if container.workload is not None else {}
    if any(k.startswith("seccomp.security.alpha.kubernetes.io/") for k in annotations):
        return  # the pre-1.19 annotation form
    yield Violation(f"container '{container.name}' in {container.resource.display} has no seccomp profile; set "
                    "securityContext.seccompProfile.type: RuntimeDefault", container.location)


@rule(
    code="KS307", name="capabilities-not-dropping-all", target=Target.K8S_CONTAINER, severity=Severity.INFO,
    summary="Container does not drop ALL capabilities",
    rationale="Dropping ALL and adding back the one or two capabilities a process needs leaves a compromised "
              "container with no kernel privileges it did not ask for; the restricted Pod Security Standard "
              "requires it. KS306 reports the most abused default capability (NET_RAW) on its own.",
    fix="Set `securityContext.capabilities.drop: [ALL]` (and `add` only what is needed).",
    tags=("security",), enabled_by_default=False, aliases=("CKV_K8S_37",),
)
def capabilities_not_dropping_all(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container) or container.kind == "ephemeral" or is_windows_pod(pod_spec_of(container)):
        return
    sec = container.get_map("securityContext")
    privileged = sec is not None and sec.get("privileged") is True
    caps = sec.get_map("capabilities") if sec is not None else None
    drop = caps.get("drop") if caps is not None else None
    if privileged or (isinstance(drop, YList) and any(str(c).upper() in ("ALL", "CAP_ALL") for c in drop)):
        return
    yield Violation(f"container '{container.name}' in {container.resource.display} does not drop ALL "
                    "capabilities; add capabilities.drop: [ALL]", container.location)


@rule(
    code="KS316", name="writable-host-path", target=Target.K8S_CONTAINER, severity=Severity.INFO,
    summary="Container mounts a hostPath volume read-write",
    rationale="A writable host path lets the container change files on the node, which outlive the pod and "
              "may be read by the node or other pods (KS314 reports the paths that expose the node itself).",
    fix="Mount it with `readOnly: true`, or use an emptyDir or a PersistentVolumeClaim.",
    tags=("security",), aliases=("writable-host-mount", "hostPathSet"),
)
def writable_host_path(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    workload = container.workload
    if workload is None:
        return
    volumes = workload.pod_spec.get_list("volumes")
    host_paths = {str(v.get("name")): v.get_map("hostPath") for _, v in (volumes.maps() if volumes else [])
                  if v.get_map("hostPath") is not None}
    if not host_paths:
        return
    mounts = container.get_list("volumeMounts")
    for _, mount in mounts.maps() if mounts is not None else []:
        name = str(mount.get("name"))
        if name in host_paths and mount.get("readOnly") is not True:
            host = host_paths[name]
            path = host.get("path") if host is not None else None
            yield Violation(f"container '{container.name}' in {container.resource.display} mounts host path "
                            f"'{path}' read-write; add readOnly: true if it only reads it",
                            container.resource.at(mount, "name"))


@rule(
    code="KS317", name="unmasked-proc-mount", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container sets procMount: Unmasked",
    rationale="The runtime masks parts of /proc that leak host information or allow attacks on the node; "
              "Unmasked removes that protection (only the baseline profile's Default is allowed).",
    fix="Remove `procMount` (or set it to Default).",
    tags=("security",), aliases=("unsafe-proc-mount", "procMount"),
)
def unmasked_proc_mount(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    sec = container.get_map("securityContext")
    if sec is not None and sec.get("procMount") == "Unmasked":
        yield Violation(f"container '{container.name}' in {container.resource.display} unmasks /proc; remove "
                        "procMount: Unmasked", container.resource.at(sec, "procMount"))
