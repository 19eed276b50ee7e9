"""Security rules for compose services, on the merged project (an override can turn a setting off)."""

from __future__ import annotations

import bisect
import posixpath
from collections import ChainMap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from kubelint_py.building.compose_project import (
    MergedMap,
    MergedService,
    compose_model,
    per_service,
    split_volume,
    unique,
)
from kubelint_py.checks.secrets import find_secret_values, is_literal_secret_value, is_secret_name
from kubelint_py.core.source import Location
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import is_interpolated
from kubelint_py.models.compose_ports import parse_port
from kubelint_py.models.located import YList, YMap


@rule(
    code="DC301", name="privileged-service", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service runs privileged",
    rationale="A privileged container has every capability and all host devices: a compromise of the "
              "container is a compromise of the host.",
    fix="Remove `privileged: true`; add only the capabilities (cap_add) or devices the service needs.",
    tags=("security",),
)
def privileged_service(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        if service.get("privileged") is True:
            yield Violation(f"service '{service.name}' runs privileged; grant only the capabilities or devices "
                            "it needs", service.at("privileged"))

    yield from per_service(index, found)


DANGEROUS_CAPABILITIES = ("ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT",
                          "DAC_READ_SEARCH", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "SYS_TIME", "NET_RAW")


@rule(
    code="DC302", name="dangerous-capability", target=Target.PROJECT, severity=Severity.WARNING,
    summary="cap_add grants a capability that allows escaping or controlling the host",
    rationale="ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE and the like let a process in the container load "
              "kernel modules, mount file systems or trace host processes.",
    fix="Drop the capability, or replace it by the narrower one the service needs.",
    tags=("security",),
    parameters={"capabilities": Parameter(DANGEROUS_CAPABILITIES, "capabilities reported (without CAP_)")},
)
def dangerous_capability(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    dangerous = {str(c).upper().removeprefix("CAP_") for c in ctx.params["capabilities"]}

    def found(service: MergedService) -> Iterator[Violation]:
        caps = service.get("cap_add")
        if not isinstance(caps, YList):
            return
        for position, cap in enumerate(caps):
            name = str(cap).upper().removeprefix("CAP_")
            if name in dangerous:
                yield Violation(f"service '{service.name}' adds capability {name}, which gives control over "
                                "the host; drop it or use a narrower one", service.locate(("cap_add", position)))

    yield from per_service(index, found)


@rule(
    code="DC303", name="host-namespace", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service shares a host namespace (network_mode, pid, ipc, uts or userns_mode `host`)",
    rationale="Sharing the host's network, process, IPC or user namespace removes the isolation between "
              "the container and the host: it sees host processes, services on localhost or host memory.",
    fix="Remove the `host` setting; publish ports instead of using the host network.",
    tags=("security",),
)
def host_namespace(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        for key in ("network_mode", "pid", "ipc", "uts", "userns_mode"):
            if service.get(key) == "host":
                yield Violation(f"service '{service.name}' sets {key}: host and shares the host's namespace",
                                service.at(key))

    yield from per_service(index, found)


@dataclass(frozen=True, slots=True)
class HostMount:
    source: str
    target: str
    read_only: bool
    location: Location


def host_mounts(service: MergedService) -> list[HostMount]:
    """Bind mounts from host paths (short and long syntax)."""
    volumes = service.get("volumes")
    if not isinstance(volumes, YList):
        return []
    found: list[HostMount] = []
    for position, item in enumerate(volumes):
        location = service.locate(("volumes", position))
        if isinstance(item, str):
            parts = split_volume(item)
            if len(parts) < 2:
                continue
            options = parts[2].split(",") if len(parts) > 2 else []
            found.append(HostMount(parts[0], parts[1], "ro" in options, location))
        elif isinstance(item, YMap) and item.get("type") == "bind" and isinstance(item.get("source"), str):
            found.append(HostMount(item["source"], str(item.get("target", "")), item.get("read_only") is True,
                                   service.locate(("volumes", position, "source"))))
    return [m for m in found if m.source.startswith(("/", "~")) and not is_interpolated(m.source)]


DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock",
                  "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "/var/run/crio/crio.sock")
SOCKET_FOLDERS = ("/var/run", "/run")
"""Mounting these mounts the Docker socket inside them too."""


def _normal(path: str) -> str:
    return posixpath.normpath(path) if path != "/" else "/"


@rule(
    code="DC304", name="docker-socket-mounted", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service mounts the Docker (or another container runtime) socket",
    rationale="Whoever can talk to the Docker socket can start a privileged container and own the host; "
              "`:ro` does not help, as the API is still reachable through a read-only socket.",
    fix="Avoid the mount; if a tool really needs the API, put a filtering socket proxy in front of it.",
    tags=("security",),
)
def docker_socket_mounted(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        for mount in host_mounts(service):
            normal = _normal(mount.source)
            if normal in DOCKER_SOCKETS or normal in SOCKET_FOLDERS:
                what = "the container runtime socket" if normal in DOCKER_SOCKETS else \
                    "the folder holding the Docker socket,"
                note = " (read-only does not limit the API)" if mount.read_only else ""
                yield Violation(f"service '{service.name}' mounts {what} {mount.source}{note}; it gives root "
                                "on the host", mount.location)

    yield from per_service(index, found)


SENSITIVE_HOST_PATHS = ("/", "/etc", "/root/", "/boot/", "/dev", "/proc/", "/sys/", "/var/run/", "/run/",
                        "/var/lib/docker/", "/var/lib/kubelet/", "/var/lib/containerd/", "/lib/modules/", "/usr",
                        "/bin", "/sbin", "/lib", "/var", "/var/lib", "/home", "~", "~/.ssh/", "~/.aws/", "~/.kube/",
                        "~/.docker/", "~/.gnupg/", "/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/sudoers.d/",
                        "/etc/cron.d/", "/etc/crontab", "/etc/ssh/", "/etc/systemd/", "/etc/kubernetes/",
                        "/etc/docker/", "/etc/ld.so.preload", "/etc/profile.d/")
"""An entry ending in `/` covers the path and everything below it; others match only exactly (mounting
`/etc/myapp` is the application's own folder, mounting `/etc` or `/etc/ssh` is not)."""


def sensitive_path(source: str, paths: tuple[str, ...]) -> str | None:
    """The sensitive entry `source` matches, most specific first (`/var/run/x` -> `/var/run`)."""
    normal = _normal(source)
    if normal in DOCKER_SOCKETS or normal in SOCKET_FOLDERS:
        return None  # DC304
    best: str | None = None
    for entry in paths:
        path = _normal(entry.rstrip("/") or "/")
        below = entry.endswith("/") and path != "/"
        if (normal == path or (below and normal.startswith(path + "/"))) and (best is None or len(path) > len(best)):
            best = path
    return best


def _sensitive_mounts(index: ProjectIndex, ctx: RuleContext, read_only: bool) -> Iterator[Violation]:
    paths = tuple(str(p) for p in ctx.params["paths"])

    def found(service: MergedService) -> Iterator[Violation]:
        for mount in host_mounts(service):
            if mount.read_only != read_only:
                continue
            hit = sensitive_path(mount.source, paths)
            if hit is None:
                continue
            mode = "read-only" if read_only else "read-write"
            yield Violation(f"service '{service.name}' mounts host path {mount.source} ({hit}) {mode} at "
                            f"{mount.target or '?'}" + ("" if read_only else "; mount it read-only (:ro) or "
                                                        "mount only the file the service needs"), mount.location)

    yield from per_service(index, found)


_PATH_PARAM = {"paths": Parameter(SENSITIVE_HOST_PATHS, "host paths reported (a trailing / includes everything "
                                                        "below the path)")}


@rule(
    code="DC305", name="sensitive-host-path-mounted", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service mounts a sensitive host path read-write",
    rationale="A writable mount of /, /etc, /proc, /sys, /var/run, the Docker data directory or a home folder "
              "lets the container change the host: add users, cron jobs, SSH keys or kernel settings.",
    fix="Mount only the file or folder the service needs, read-only (`:ro`), or use a named volume.",
    tags=("security",), parameters=_PATH_PARAM,
)
def sensitive_host_path_mounted(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    yield from _sensitive_mounts(index, ctx, read_only=False)


@rule(
    code="DC306", name="sensitive-host-path-mounted-read-only", target=Target.PROJECT, severity=Severity.INFO,
    summary="Service mounts a sensitive host path read-only",
    rationale="Even read-only, /etc, /proc, /sys, /var/run or a home folder expose host secrets (SSH keys, "
              "tokens, other containers' environment) to the container; monitoring agents need some of them.",
    fix="Mount only what the service needs; keep such mounts to trusted monitoring images.",
    tags=("security",), parameters=_PATH_PARAM,
)
def sensitive_host_path_mounted_read_only(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    yield from _sensitive_mounts(index, ctx, read_only=True)


_UNCONFINED = ("seccomp:unconfined", "seccomp=unconfined", "apparmor:unconfined", "apparmor=unconfined",
               "label:disable", "label=disable", "systempaths=unconfined")


@rule(
    code="DC307", name="unconfined-security-profile", target=Target.PROJECT, severity=Severity.WARNING,
    summary="security_opt turns off seccomp, AppArmor or SELinux confinement",
    rationale="The default seccomp and AppArmor profiles block the system calls most container escapes use; "
              "`unconfined` removes that layer.",
    fix="Remove the option, or give a custom profile that allows only the extra calls the service needs.",
    tags=("security",),
)
def unconfined_security_profile(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        options = service.get("security_opt")
        if not isinstance(options, YList):
            return
        for position, option in enumerate(options):
            text = str(option).replace(" ", "").lower()
            if text in _UNCONFINED:
                yield Violation(f"service '{service.name}' sets security_opt '{option}', which removes "
                                "the kernel confinement profile", service.locate(("security_opt", position)))

    yield from per_service(index, found)


_FLAG_VALUES = frozenset({"yes", "no", "y", "n", "on", "off", "true", "false", "enabled", "disabled", "0", "1"})


def _secret_problem(name: str, value: str | None) -> str | None:
    # ALLOW_EMPTY_PASSWORD=yes is a switch, not a password.
    if value is None or is_interpolated(value) or value.strip().lower() in _FLAG_VALUES:
        return None
    shapes = find_secret_values(value)
    if shapes:
        return f"holds a {shapes[0].kind}"
    if is_secret_name(name) and is_literal_secret_value(value):
        return "holds a literal secret"
    return None


@rule(
    code="DC308", name="secret-in-environment", target=Target.PROJECT, severity=Severity.WARNING,
    summary="A literal secret is written in environment or build args",
    rationale="Secrets in the compose file end up in git, in `docker inspect` and (for build args) in the "
              "image history, readable by anyone with access to either.",
    fix="Use `${VAR}` interpolation from an untracked .env file, or compose `secrets:` mounted as files.",
    tags=("security",),
)
def secret_in_environment(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    # A value is reported once, where it is written, naming the service that writes it: services that
    # inherit it (extends, an alias) share that line. Each entries node (the base's environment, shared by
    # every service that extends it without adding to it) is checked once: 3,000 services extending a base
    # of 3,000 variables made 9 million checks of the same 3,000 values.
    model = compose_model(index)
    checked: dict[tuple[int, str], list[tuple[Any, str, str, Location]]] = {}
    starts: dict[str, list[tuple[int, int, str]]] = {}

    def writer(service: MergedService, location: Location) -> str:
        """The service whose definition holds this line (the nearest service key above it in that file)."""
        found = starts.get(location.path)
        if found is None:
            compose = model.file_at(location.path)
            found = starts[location.path] = sorted(
                (s.location.line, s.location.column, s.name) for s in compose.services.values()
            ) if compose is not None else []
        at = bisect.bisect_right(found, (location.line, location.column, "\uffff"))
        return found[at - 1][2] if at else service.name

    def problems(service: MergedService, field: str) -> list[tuple[str, str, Location]]:
        node: Any = service.data
        path = service.sources[0].path
        for step in ("build", "args") if field == "build" else ("environment",):
            if isinstance(node, MergedMap):
                path = node.key_paths.get(step, path)
            node = node.get(step) if isinstance(node, YMap) else None
        if not isinstance(node, YMap | YList) or not node:
            return []
        return [(name, problem, location) for _, name, problem, location in entry_problems(node, path)]

    def entry_problems(node: YMap | YList, path: str) -> list[tuple[Any, str, str, Location]]:
        """(key, name, problem, location) of each entry of an environment-like node written in `path`, once
        per node; a node layered on another (a service adding to what it inherits) takes the other's
        problems for the entries it did not set, and checks only its own."""
        memo_key = (id(node), path)
        cached = checked.get(memo_key)
        if cached is not None:
            return cached
        found: list[tuple[Any, str, str, Location]] = []
        if isinstance(node, MergedMap) and node.layer is not None and isinstance(node.key_paths, ChainMap):
            parent, parent_path = node.layer
            own = node.key_paths.maps[0]
            found = [p for p in entry_problems(parent, parent_path) if p[0] not in own and p[0] in node]
            keys: Iterable[Any] = [key for key in own if key in node]
        else:
            keys = node if isinstance(node, YMap) else range(len(node))
        for key in keys:
            if isinstance(node, YMap):
                value = node[key]
                name, text = str(key), None if value is None else str(value)
                where = node.key_paths.get(key, path) if isinstance(node, MergedMap) else path
                span = node.value_span(key)
            else:
                name, sep, rest = str(node[key]).partition("=")
                text, where, span = (rest if sep else None), path, node.item_span(key)
            problem = _secret_problem(name, text)
            if problem:
                found.append((key, name, problem, Location.of(where, span)))
        checked[memo_key] = found
        return found

    def found(service: MergedService) -> Iterator[Violation]:
        for name, problem, location in problems(service, "environment"):
            yield Violation(f"service '{writer(service, location)}' environment variable {name} {problem}; use "
                            "${VAR} from an untracked .env file or compose secrets", location)
        for name, problem, location in problems(service, "build"):
            yield Violation(f"service '{writer(service, location)}' build arg {name} {problem}; build args stay "
                            "in the image history, use build secrets instead", location)

    yield from unique(per_service(index, found))


SENSITIVE_PORTS = {5432: "PostgreSQL", 3306: "MySQL/MariaDB", 27017: "MongoDB", 6379: "Redis", 9200: "Elasticsearch",
                   9300: "Elasticsearch transport", 11211: "Memcached", 5984: "CouchDB", 8086: "InfluxDB",
                   9042: "Cassandra", 7474: "Neo4j", 7687: "Neo4j Bolt", 1433: "SQL Server", 1521: "Oracle",
                   2379: "etcd", 5672: "RabbitMQ", 15672: "RabbitMQ management", 2375: "Docker API",
                   2376: "Docker API", 8500: "Consul", 9092: "Kafka", 2181: "ZooKeeper", 26257: "CockroachDB",
                   8123: "ClickHouse", 28015: "RethinkDB", 6432: "PgBouncer"}


@rule(
    code="DC309", name="sensitive-port-on-all-interfaces", target=Target.PROJECT, severity=Severity.INFO,
    summary="A database or admin port is published on all host interfaces",
    rationale="`5432:5432` publishes the database on every interface of the host, past the host firewall "
              "(Docker writes its own iptables rules): anyone on the network can reach it.",
    fix="Publish on localhost only (`127.0.0.1:5432:5432`), or do not publish it: other services reach it "
        "over the compose network by service name.",
    tags=("security",),
)
def sensitive_port_on_all_interfaces(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        ports = service.get("ports")
        if not isinstance(ports, YList):
            return
        for position, item in enumerate(ports):
            mapping = parse_port(item)
            if mapping is None or mapping.published is None or not mapping.all_interfaces:
                continue
            first, last = mapping.target
            hits = [SENSITIVE_PORTS[p] for p in range(first, min(last, first + 1000) + 1) if p in SENSITIVE_PORTS]
            if hits:
                yield Violation(f"service '{service.name}' publishes {hits[0]} port {mapping.describe()} on all "
                                "interfaces; bind it to 127.0.0.1 or do not publish it",
                                service.locate(("ports", position)))

    yield from per_service(index, found)
