"""Probe rules."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.engine import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container

# Run-to-completion pods are never behind a Service, so readiness means nothing for them.
_RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})


@rule(
    code="KS102", name="missing-readiness-probe", target=Target.K8S_CONTAINER, severity=Severity.WARNING,
    summary="Container has no readiness probe",
    rationale="Without a readiness probe, a Service sends traffic to the pod as soon as the container "
              "starts, before the application can answer, and keeps sending it while the app is stuck.",
    fix="Add `readinessProbe` (httpGet, tcpSocket, grpc or exec) to the container.",
    tags=("reliability",),
)
def missing_readiness_probe(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    if container.kind != "container" or container.resource.kind in _RUN_TO_COMPLETION:
        return
    if container.data.get("readinessProbe") is None:
        yield Violation(f"container '{container.name}' has no readiness probe", container.location)
