"""Resource requests and limits."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kubelint_py.checks.kubernetes._common import is_patch_fragment, missing_field_location
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.kubernetes import Container
from kubelint_py.models.located import YMap
from kubelint_py.models.quantity import parse_quantity


def _section(container: Container, name: str) -> YMap | None:
    resources = container.get_map("resources")
    return resources.get_map(name) if resources is not None else None


def _has(section: YMap | None, resource: str) -> bool:
    return section is not None and section.get(resource) not in (None, "")


def _limit_range_defaults(container: Container, ctx: RuleContext, field: str, resource: str) -> bool:
    """A LimitRange in the namespace that gives containers a default for this resource."""
    namespace = ctx.index.namespace_of(container.resource)
    for limit_range in ctx.index.of_kind("LimitRange", namespace):
        limits = limit_range.spec.get_list("limits")
        for _, item in limits.maps() if limits is not None else []:
            if item.get("type", "Container") != "Container":
                continue
            for key in (field, "default") if field == "defaultRequest" else (field,):
                section = item.get_map(key)
                if section is not None and resource in section:
                    return True
    return False


def _applies(container: Container) -> bool:
    # Ephemeral containers may not set resources at all; patches leave them to their base.
    return container.kind in ("container", "init") and not is_patch_fragment(container)


def _missing(container: Container, ctx: RuleContext, section: str, resource: str) -> Iterator[Violation]:
    if not _applies(container):
        return
    if _has(_section(container, section), resource):
        return
    # A request left out defaults to the limit, so a limit alone is a complete setting.
    if section == "requests" and _has(_section(container, "limits"), resource):
        return
    field = "defaultRequest" if section == "requests" else "default"
    if _limit_range_defaults(container, ctx, field, resource):
        return
    what = {"requests": "request", "limits": "limit"}[section]
    yield Violation(f"container '{container.name}' in {container.resource.display} has no {resource} {what}; "
                    f"set resources.{section}.{resource}",
                    missing_field_location(container, "resources", section))


@rule(
    code="KS110", name="missing-cpu-request", severity=Severity.WARNING,
    summary="Container has no CPU request",
    rationale="The scheduler places pods by their requests; without a CPU request the pod may land on a "
              "node that has no CPU to spare, and it is the first to be starved under contention.",
    fix="Set `resources.requests.cpu` (e.g. `100m`) to what the container needs at steady state.",
    target=Target.K8S_CONTAINER, tags=("reliability", "resources"),
)
def missing_cpu_request(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(container, ctx, "requests", "cpu")


@rule(
    code="KS111", name="missing-memory-request", severity=Severity.WARNING,
    summary="Container has no memory request",
    rationale="Without a memory request the scheduler may pack the pod onto a node without enough "
              "memory, and the pod is among the first evicted under memory pressure.",
    fix="Set `resources.requests.memory` (e.g. `128Mi`) to the container's working set.",
    target=Target.K8S_CONTAINER, tags=("reliability", "resources"),
)
def missing_memory_request(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(container, ctx, "requests", "memory")


@rule(
    code="KS112", name="missing-memory-limit", severity=Severity.WARNING,
    summary="Container has no memory limit",
    rationale="A container without a memory limit can use all the memory of its node; a leak then "
              "triggers the kernel OOM killer on neighbouring pods instead of on the leaking one.",
    fix="Set `resources.limits.memory`, usually equal to the memory request.",
    target=Target.K8S_CONTAINER, tags=("reliability", "resources"),
)
def missing_memory_limit(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(container, ctx, "limits", "memory")


@rule(
    code="KS113", name="missing-cpu-limit", severity=Severity.INFO, enabled_by_default=False,
    summary="Container has no CPU limit",
    rationale="Without a CPU limit a busy container can use spare CPU on its node. Many teams choose "
              "this deliberately (CPU limits cause throttling), so the rule is off by default.",
    fix="Set `resources.limits.cpu` if your policy requires CPU limits.",
    target=Target.K8S_CONTAINER, tags=("reliability", "resources"),
)
def missing_cpu_limit(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(container, ctx, "limits", "cpu")


def _format(value: Decimal) -> str:
    return format(value.normalize(), "f")


@rule(
    code="KS114", name="request-exceeds-limit", target=Target.K8S_CONTAINER, severity=Severity.ERROR,
    summary="Resource request is greater than its limit",
    rationale="The API server rejects a container whose request exceeds its limit, so the workload "
              "never starts (often noticed only at deploy time).",
    fix="Lower the request or raise the limit so that request <= limit.",
    tags=("correctness", "resources"),
)
def request_exceeds_limit(container: Container, ctx: RuleContext) -> Iterator[Violation]:
    requests = _section(container, "requests")
    limits = _section(container, "limits")
    if requests is None or limits is None:
        return
    for resource, raw_request in requests.items():
        if resource not in limits:
            continue
        request = parse_quantity(raw_request)
        limit = parse_quantity(limits[resource])
        if request is None or limit is None or request <= limit:
            continue
        yield Violation(f"container '{container.name}' requests {raw_request} {resource} but is limited to "
                        f"{limits[resource]} ({_format(request)} > {_format(limit)}); make the request at "
                        "most the limit", container.resource.at(requests, resource),
                        (Related(container.resource.at(limits, resource), "the limit"),))
