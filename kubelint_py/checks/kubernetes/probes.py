"""Probe rules: liveness and readiness probes present, on declared ports, and not identical."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.checks.kubernetes._common import declared_ports, is_long_running, is_patch_fragment, is_template_text
from kubelint_py.engine.registry import Parameter, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HANDLERS = ("httpGet", "tcpSocket", "grpc")


@rule(
    code="KS101", name="missing-liveness-probe", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container has no liveness probe",
    rationale="Without a liveness probe, a container that hangs (deadlock, stuck event loop) keeps its "
              "pod Running forever and is never restarted.",
    fix="Add `livenessProbe` (httpGet, tcpSocket, grpc or exec) checking that the process still makes "
        "progress; keep it cheaper and more lenient than the readiness probe.",
    tags=("reliability",), aliases=("no-liveness-probe",),
)
def missing_liveness_probe(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if not is_long_running(container):
        return
    if container.data.get("livenessProbe") is None:
        yield Violation(f"container '{container.name}' in {container.resource.display} has no liveness probe; "
                        "add livenessProbe", container.location)


@rule(
    code="KS102", name="missing-readiness-probe", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container has no readiness probe",
    rationale="Without a readiness probe, a Service sends traffic to the pod as soon as the container "
              "starts, before the application can answer, and keeps sending it while the app is stuck.",
    fix="Add `readinessProbe` (httpGet, tcpSocket, grpc or exec) to the container.",
    tags=("reliability",), aliases=("no-readiness-probe",),
)
def missing_readiness_probe(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    # Jobs, CronJobs, one-shot Pods, init and ephemeral containers serve no traffic.
    if not is_long_running(container):
        return
    if container.data.get("readinessProbe") is None:
        yield Violation(f"container '{container.name}' in {container.resource.display} has no readiness "
                        "probe; add readinessProbe", container.location)


@rule(
    code="KS103", name="probe-port-not-declared", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Probe targets a port the container does not declare",
    rationale="A probe on a named port the container does not define always fails, so the pod never "
              "becomes ready or is restarted in a loop; a numeric port missing from a container that "
              "lists its ports is usually a typo or a stale port after a change.",
    fix="Point the probe at one of the container's `ports` (by name or number), or declare the port.",
    tags=("reliability",),
    parameters={"numeric_ports": Parameter(False, "Also check numeric probe ports against containers that "
                                                  "declare ports (declaring ports is optional in Kubernetes, "
                                                  "so a number they do not list is legal and common).")},
)
def probe_port_not_declared(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if is_patch_fragment(container):
        return  # the ports may be declared in the base the patch applies to
    numbers, names = declared_ports(container)
    for probe_key in _PROBES:
        probe = container.get_map(probe_key)
        if probe is None:
            continue
        for handler_key in _HANDLERS:
            handler = probe.get_map(handler_key)
            if handler is None or "port" not in handler:
                continue
            port = handler["port"]
            location = container.resource.at(handler, "port")
            if isinstance(port, str) and not port.isdigit():
                if is_template_text(port):
                    continue
                protocol = _protocol_of(container, port)
                if protocol not in (None, "TCP"):
                    yield Violation(f"{probe_key} of container '{container.name}' uses port '{port}', which is "
                                    f"declared {protocol}: {handler_key} probes connect over TCP", location)
                elif port not in names:
                    known = ", ".join(sorted(names)) or "none"
                    yield Violation(f"{probe_key} of container '{container.name}' uses port '{port}', which "
                                    f"the container does not declare (named ports: {known})", location)
            elif isinstance(port, int | str) and not isinstance(port, bool):
                number = int(port)
                # Declaring ports is optional: only a container that lists some is held to them.
                udp_only = {p.get("containerPort") for p in container.ports if str(p.get("protocol", "TCP")) != "TCP"} \
                    - {p.get("containerPort") for p in container.ports if str(p.get("protocol", "TCP")) == "TCP"}
                if number in udp_only:
                    yield Violation(f"{probe_key} of container '{container.name}' uses port {number}, which is "
                                    f"declared only as a non-TCP port: {handler_key} probes connect over TCP",
                                    location)
                elif ctx.params["numeric_ports"] and numbers and number not in numbers:
                    known = ", ".join(str(n) for n in sorted(numbers))
                    yield Violation(f"{probe_key} of container '{container.name}' uses port {number}, which "
                                    f"is not among its declared ports ({known})", location)


def _protocol_of(container: Container, name: str) -> str | None:
    for port in container.ports:
        if port.get("name") == name:
            return str(port.get("protocol", "TCP"))
    return None


@rule(
    code="KS104", name="liveness-equals-readiness", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Liveness probe is identical to the readiness probe",
    rationale="When both probes are the same, a slow dependency or a burst of load that should only "
              "take the pod out of the Service also makes the kubelet restart it, turning a brief "
              "overload into a cascade of restarts.",
    fix="Make the liveness probe check only that the process is alive (a cheaper endpoint, a higher "
        "failureThreshold), and keep dependency checks in the readiness probe.",
    tags=("reliability",),
)
def liveness_equals_readiness(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    liveness = container.get_map("livenessProbe")
    readiness = container.get_map("readinessProbe")
    if liveness is None or readiness is None:
        return
    if dict(liveness) == dict(readiness):
        yield Violation(f"container '{container.name}' has identical liveness and readiness probes; make "
                        "the liveness probe cheaper or more lenient",
                        container.at("livenessProbe", on_key=True))
