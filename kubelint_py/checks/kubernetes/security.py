"""Security context and host access.

Container-level securityContext fields override the pod-level ones of the same name; every rule that
reads a field present at both levels goes through `security_value` for that reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.kubernetes._common import (
    is_patch_fragment,
    is_windows_pod,
    missing_field_location,
    pod_spec_of,
    security_value,
)
from kubelint_py.checks.yaml_edits import append_to_flow_list, insert_entries, is_empty_flow, replace_scalar
from kubelint_py.engine.registry import UNSAFE, Fix, Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container, Workload
from kubelint_py.models.located import YList, YMap


def _container_ctx(container: Container) -> YMap | None:
    return container.get_map("securityContext")


def _set_default(container: Container, path: tuple[str, ...], value: object, description: str,
                 append: str | None = None) -> Fix | None:
    """An unsafe fix that writes `value` at `path` under the container's securityContext, inserting the
    missing levels with the file's own indentation, or replacing a wrong boolean; with `append`, a list
    already there gets that item instead."""
    node = container.data
    under = None
    steps = ("securityContext", *path)
    for depth, step in enumerate(steps):
        if step not in node:
            if container.resource.path.endswith(".json") and not is_empty_flow(node):
                return None  # block YAML cannot go into a JSON object
            entry: object = value
            for inner in reversed(steps[depth + 1:]):
                entry = {inner: entry}
            return insert_entries(node, [(step, entry)], container.resource.body, description, under)
        child = node.get(step)
        if depth == len(steps) - 1:
            if isinstance(child, bool) and isinstance(value, bool) and child is not value:
                edit = replace_scalar(node.value_span(step), "true" if child else "false",
                                      "true" if value else "false")
                return Fix((edit,), False, description) if edit else None
            if append is not None and isinstance(child, YList):
                added = append_to_flow_list(child, append)
                return Fix((added,), False, f"add {append} to securityContext.capabilities.drop") if added else None
            return None
        if not isinstance(child, YMap):
            return None
        under = node.key_span(step)
        node = child
    return None


def _is_privileged(container: Container) -> bool:
    ctx = _container_ctx(container)
    return ctx is not None and ctx.get("privileged") is True


@rule(
    code="KS301", name="privileged-container", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container runs privileged",
    rationale="A privileged container has every capability and all host devices: escaping to the node "
              "is trivial, so one compromised process owns the node and every pod on it. A warning, not an "
              "error (as DC301 for Compose): node agents, device plugins and installers need it on purpose.",
    fix="Remove `privileged: true`; grant the specific capability the container needs instead.",
    tags=("security",), aliases=("CKV_K8S_16",),
)
def privileged_container(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    sec = _container_ctx(container)
    if sec is not None and sec.get("privileged") is True:
        yield Violation(f"container '{container.name}' in {container.resource.display} runs privileged; remove "
                        "`privileged: true`", container.resource.at(sec, "privileged"))


@rule(
    code="KS302", name="privilege-escalation-allowed", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="allowPrivilegeEscalation is not false",
    rationale="Unless it is explicitly false, a process can gain more privileges than its parent "
              "(setuid binaries, file capabilities), which turns many container escapes into root.",
    fix="Set `securityContext.allowPrivilegeEscalation: false` on the container.",
    tags=("security",), aliases=("privilege-escalation-container", "CKV_K8S_20"), autofix=UNSAFE,
)
def privilege_escalation_allowed(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container):
        return
    sec = _container_ctx(container)
    value = sec.get("allowPrivilegeEscalation") if sec is not None else None
    if value is False or is_windows_pod(pod_spec_of(container)):
        return
    # A privileged container (or one with SYS_ADMIN) cannot turn escalation off; KS301/KS305 report it.
    added = _capabilities(container, "add")
    if _is_privileged(container) or (added is not None and "SYS_ADMIN" in {_cap_name(c) for c in added}):
        return
    if sec is not None and value is True:
        location = container.resource.at(sec, "allowPrivilegeEscalation")
        what = "sets allowPrivilegeEscalation: true"
    else:
        location = missing_field_location(container, "securityContext")
        what = "does not set allowPrivilegeEscalation: false"
    yield Violation(f"container '{container.name}' in {container.resource.display} {what}; set it to false",
                    location, fix=_set_default(container, ("allowPrivilegeEscalation",), False,
                                               "set securityContext.allowPrivilegeEscalation: false"))


@rule(
    code="KS303", name="may-run-as-root", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container may run as root",
    rationale="Without `runAsNonRoot: true` or a non-zero `runAsUser` (on the container or inherited from "
              "the pod), the image's default user applies, which is root for most images; root in a "
              "container is one kernel bug away from root on the node.",
    fix="Set `runAsNonRoot: true` and a non-zero `runAsUser` in the pod or container securityContext.",
    tags=("security",), aliases=("run-as-non-root", "CKV_K8S_23"),
)
def may_run_as_root(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container):
        return
    spec = pod_spec_of(container)
    if is_windows_pod(spec):
        return
    user, user_holder = security_value(container, "runAsUser")
    if user == 0 and user_holder is not None:
        level = "container" if user_holder is _container_ctx(container) else "pod"
        yield Violation(f"container '{container.name}' in {container.resource.display} runs as root "
                        f"(runAsUser: 0 at {level} level); use a non-zero user",
                        container.resource.at(user_holder, "runAsUser"))
        return
    non_root, non_root_holder = security_value(container, "runAsNonRoot")
    if non_root is True or (isinstance(user, int) and not isinstance(user, bool) and user > 0):
        return
    if non_root is False and non_root_holder is not None:
        location = container.resource.at(non_root_holder, "runAsNonRoot")
    else:
        location = missing_field_location(container, "securityContext")
    yield Violation(f"container '{container.name}' in {container.resource.display} may run as root: neither it "
                    "nor its pod sets runAsNonRoot: true or a non-zero runAsUser", location)


@rule(
    code="KS304", name="writable-root-filesystem", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="readOnlyRootFilesystem is not true",
    rationale="A writable root filesystem lets an attacker drop tools and modify binaries inside the "
              "container; a read-only one forces writes into declared volumes.",
    fix="Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the app writes.",
    tags=("security",), aliases=("no-read-only-root-fs", "CKV_K8S_22"), autofix=UNSAFE,
)
def writable_root_filesystem(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container):
        return
    sec = _container_ctx(container)
    value = sec.get("readOnlyRootFilesystem") if sec is not None else None
    if value is True or is_windows_pod(pod_spec_of(container)):  # Windows has no read-only root
        return
    location = container.resource.at(sec, "readOnlyRootFilesystem") if sec is not None and value is False \
        else missing_field_location(container, "securityContext")
    yield Violation(f"container '{container.name}' in {container.resource.display} has a writable root "
                    "filesystem; set readOnlyRootFilesystem: true", location,
                    fix=_set_default(container, ("readOnlyRootFilesystem",), True,
                                     "set securityContext.readOnlyRootFilesystem: true"))


def _capabilities(container: Container, key: str) -> YList | None:
    sec = _container_ctx(container)
    caps = sec.get_map("capabilities") if sec is not None else None
    return caps.get_list(key) if caps is not None else None


def _cap_name(value: object) -> str:
    return str(value).upper().removeprefix("CAP_")


DANGEROUS_CAPABILITIES = ["ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
                          "SYS_TIME", "DAC_READ_SEARCH", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE",
                          "SYSLOG"]


@rule(
    code="KS305", name="dangerous-capability-added", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container adds a dangerous Linux capability",
    rationale="Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or ALL give near-root power over the "
              "node's kernel or network; most are enough on their own to escape the container.",
    fix="Remove the capability from `capabilities.add`, or isolate the workload that truly needs it.",
    tags=("security",), aliases=("dangerous-capabilities", "CKV_K8S_39"),
    parameters={"capabilities": Parameter(DANGEROUS_CAPABILITIES, "Capabilities reported when added.")},
)
def dangerous_capability_added(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    added = _capabilities(container, "add")
    if added is None:
        return
    dangerous = {_cap_name(c) for c in ctx.params["capabilities"]}
    for index, cap in enumerate(added):
        if _cap_name(cap) in dangerous:
            yield Violation(f"container '{container.name}' in {container.resource.display} adds capability "
                            f"{cap}; remove it or grant a narrower one", container.resource.at(added, index))


@rule(
    code="KS306", name="net-raw-not-dropped", target=Target.K8S_CONTAINER, severity=Severity.INFO,
    summary="NET_RAW capability is not dropped",
    rationale="NET_RAW is in the default capability set; it allows crafting raw packets (ARP and DNS "
              "spoofing on the pod network) and is rarely needed.",
    fix="Add `NET_RAW` (or `ALL`) to `securityContext.capabilities.drop`.",
    tags=("security",), aliases=("CKV_K8S_28",), autofix=UNSAFE,
)
def net_raw_not_dropped(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container):
        return
    if _is_privileged(container) or is_windows_pod(pod_spec_of(container)):
        return  # privileged has every capability anyway; KS301 reports it
    dropped = _capabilities(container, "drop")
    if dropped is not None and {_cap_name(c) for c in dropped} & {"NET_RAW", "ALL"}:
        return
    yield Violation(f"container '{container.name}' in {container.resource.display} keeps NET_RAW; add it (or "
                    "ALL) to capabilities.drop",
                    missing_field_location(container, "securityContext", "capabilities", "drop"),
                    fix=_set_default(container, ("capabilities", "drop"), ["ALL"],
                                     "drop every capability (securityContext.capabilities.drop: [\"ALL\"])",
                                     append="NET_RAW"))


def _host_namespace(workload: Workload, field: str, what: str) -> Iterator[Violation]:
    if workload.pod_spec.get(field) is True:
        yield Violation(f"{workload.resource.display} sets {field}: true and shares the node's {what}; remove it",
                        workload.resource.at(workload.pod_spec, field))


@rule(
    code="KS310", name="host-network", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod uses the host network",
    rationale="With hostNetwork the pod sees every interface of the node, can bind its ports and bypasses "
              "NetworkPolicies.",
    fix="Remove `hostNetwork: true`; expose the pod through a Service instead.",
    tags=("security",), aliases=("CKV_K8S_19",),
)
def host_network(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _host_namespace(workload, "hostNetwork", "network namespace")


@rule(
    code="KS311", name="host-pid", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod shares the host PID namespace",
    rationale="With hostPID the pod sees and can signal (or ptrace) every process on the node.",
    fix="Remove `hostPID: true`.",
    tags=("security",), aliases=("CKV_K8S_17",),
)
def host_pid(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _host_namespace(workload, "hostPID", "process namespace")


@rule(
    code="KS312", name="host-ipc", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod shares the host IPC namespace",
    rationale="With hostIPC the pod can read and write the shared memory of every process on the node.",
    fix="Remove `hostIPC: true`.",
    tags=("security",), aliases=("CKV_K8S_18",),
)
def host_ipc(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    yield from _host_namespace(workload, "hostIPC", "IPC namespace")


@rule(
    code="KS313", name="host-port", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container binds a host port",
    rationale="A hostPort ties the pod to one port on its node: only one such pod fits per node, it "
              "bypasses NetworkPolicies on some CNIs, and it exposes the pod on the node's address.",
    fix="Remove `hostPort` and reach the pod through a Service (NodePort or LoadBalancer if needed).",
    tags=("security",), aliases=("CKV_K8S_26",),
)
def host_port(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if pod_spec_of(container).get("hostNetwork") is True:
        return  # KS310 already covers a pod on the host network, where hostPort is implied
    ports = container.get_list("ports")
    for _, port in ports.maps() if ports is not None else []:
        value = port.get("hostPort")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            yield Violation(f"container '{container.name}' in {container.resource.display} binds host port "
                            f"{value}; remove hostPort and use a Service", container.resource.at(port, "hostPort"))


SENSITIVE_HOST_PATHS = ["/", "/etc", "/proc", "/sys", "/root", "/home", "/boot", "/dev", "/var/run", "/run",
                        "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd",
                        "/etc/kubernetes", "/var/run/docker.sock", "/run/docker.sock",
                        "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock",
                        "/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/log"]
# Below these, every path is sensitive too (credentials, the container runtime, the kubelet).
_SENSITIVE_TREES = ("/etc/kubernetes/", "/var/lib/kubelet/", "/root/", "/proc/", "/var/lib/docker/",
                    "/var/lib/etcd/")


@rule(
    code="KS314", name="sensitive-host-path", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod mounts a sensitive host path",
    rationale="Mounting the container runtime socket, `/`, `/etc`, `/proc`, the kubelet's directory or "
              "similar host paths gives the pod control of, or secrets from, the node.",
    fix="Avoid the hostPath volume; if an agent truly needs it, mount it read-only and isolate the workload.",
    tags=("security",), aliases=("sensitive-host-mounts", "docker-sock", "CKV_K8S_27"),
    parameters={"paths": Parameter(SENSITIVE_HOST_PATHS, "Host paths reported when mounted.")},
)
def sensitive_host_path(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    volumes = workload.pod_spec.get_list("volumes")
    sensitive = {p.rstrip("/") or "/" for p in ctx.params["paths"]}
    for _, volume in volumes.maps() if volumes is not None else []:
        host_path = volume.get_map("hostPath")
        if host_path is None or not isinstance(host_path.get("path"), str):
            continue
        raw = host_path["path"]
        path = raw.rstrip("/") or "/"
        if path in sensitive or (path.endswith(".sock") and "docker" in path) \
                or any(path.startswith(tree) for tree in _SENSITIVE_TREES):
            yield Violation(f"{workload.resource.display} mounts the sensitive host path '{raw}' (volume "
                            f"'{volume.get('name', '')}'), which exposes the node; avoid it, or isolate the "
                            "workload that needs it", workload.resource.at(host_path, "path"))


SAFE_SYSCTLS = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]


@rule(
    code="KS315", name="unsafe-sysctl", target=Target.K8S_WORKLOAD, severity=Severity.WARNING,
    summary="Pod sets an unsafe sysctl",
    rationale="Sysctls outside the namespaced safe set affect the whole node (or other pods on it); the "
              "kubelet refuses them unless allow-listed, and when allowed they weaken isolation.",
    fix="Remove the sysctl, or use one of the safe sysctls; tune the node instead if it is really needed.",
    tags=("security",), aliases=("unsafe-sysctls",),
    parameters={"safe": Parameter(SAFE_SYSCTLS, "Sysctls considered safe.")},
)
def unsafe_sysctl(workload: Workload, ctx: RuleContext) -> Iterator[Violation]:
    sec = workload.pod_spec.get_map("securityContext")
    sysctls = sec.get_list("sysctls") if sec is not None else None
    safe = set(ctx.params["safe"])
    for _, item in sysctls.maps() if sysctls is not None else []:
        name = str(item.get("name", ""))
        if name and name.replace("/", ".") not in safe:
            yield Violation(f"{workload.resource.display} sets the unsafe sysctl '{name}'; remove it or tune "
                            "the node instead", workload.resource.at(item, "name"))
