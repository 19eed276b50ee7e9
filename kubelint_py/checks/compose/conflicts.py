"""Conflicts inside a compose project (base, overrides and layers merged): host ports, container names."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.building.compose_project import MergedService, compose_model, per_service, unique
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import is_interpolated
from kubelint_py.models.compose_ports import PortMapping, parse_port
from kubelint_py.models.located import YList, YMap


def published_ports(service: MergedService) -> list[tuple[int, PortMapping]]:
    ports = service.get("ports")
    if not isinstance(ports, YList):
        return []
    found: list[tuple[int, PortMapping]] = []
    for index, item in enumerate(ports):
        mapping = parse_port(item)
        if mapping is not None:
            found.append((index, mapping))
    return found


@rule(
    code="DC201", name="host-port-conflict", target=Target.PROJECT, severity=Severity.ERROR,
    summary="The same host port is published twice in a compose project",
    rationale="Only one container can bind a host address and port: the second service fails to start "
              "with 'port is already allocated'. `80` binds every interface, so it also clashes with "
              "`127.0.0.1:80`.",
    fix="Publish one of the two on another host port, or on a different host address.",
    tags=("correctness",),
)
def host_port_conflict(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found() -> Iterator[Violation]:
        for project in compose_model(index).projects:
            bindings: list[tuple[MergedService, int, PortMapping]] = []
            for service in project.services.values():
                bindings.extend((service, i, m) for i, m in published_ports(service) if m.published is not None)
            bindings.sort(key=lambda b: (b[2].published or (0, 0))[0])
            for service, item, mapping in bindings:
                replicas = replicas_of(service)
                size = mapping.published[1] - mapping.published[0] + 1 if mapping.published else 1
                if replicas is not None and replicas > size and not _swarm(service):
                    yield Violation(f"service '{service.name}' runs {replicas} replicas but publishes only "
                                    f"{size} host port(s) {mapping.describe()}; the second replica fails to "
                                    "start (publish a range, or let Docker pick: \"80\")",
                                    service.locate(("ports", item)))
            for position, (service, item, mapping) in enumerate(bindings):
                for back in range(position - 1, -1, -1):
                    earlier_service, earlier_item, earlier = bindings[back]
                    if earlier_service is service and earlier_item == item:
                        continue
                    if not mapping.overlaps(earlier) or _alternatives(service, earlier_service):
                        continue
                    first = earlier_service.locate(("ports", earlier_item))
                    here = service.locate(("ports", item))
                    who = "also" if earlier_service is service else f"and service '{earlier_service.name}'"
                    where = f"line {first.line}" if first.path == here.path else f"{first.path}:{first.line}"
                    yield Violation(
                        f"service '{service.name}' publishes host port {mapping.describe()}, {who} publishes "
                        f"{earlier.describe()} ({where}); one of them fails to start",
                        here, (Related(first, "first published here"),))
                    break

    yield from unique(found())


_SWARM_DEPLOY_KEYS = frozenset({"endpoint_mode", "placement", "update_config", "rollback_config", "mode"})


def _swarm(service: MergedService) -> bool:
    """Looks written for `docker stack deploy`, where replicas share a port through the ingress mesh."""
    deploy = service.get("deploy")
    if isinstance(deploy, YMap) and _SWARM_DEPLOY_KEYS & set(deploy):
        return True
    return any("stack" in source.path.rsplit("/", 1)[-1].lower() for source in service.sources)


def _alternatives(one: MergedService, other: MergedService) -> bool:
    """Services in disjoint profiles (`dev` vs `prod`) are alternatives, rarely started together."""
    mine, theirs = set(one.profiles), set(other.profiles)
    return bool(mine) and bool(theirs) and not mine & theirs


def replicas_of(service: MergedService) -> int | None:
    deploy = service.get("deploy")
    value = deploy.get("replicas") if isinstance(deploy, YMap) else None
    if value is None:
        value = service.get("scale")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@rule(
    code="DC202", name="duplicate-container-name", target=Target.PROJECT, severity=Severity.ERROR,
    summary="Two services use the same container_name",
    rationale="Container names are unique per Docker host: the second container fails to start.",
    fix="Give each service its own container_name, or remove container_name and let compose name them.",
    tags=("correctness",),
)
def duplicate_container_name(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found() -> Iterator[Violation]:
        for project in compose_model(index).projects:
            seen: dict[str, MergedService] = {}
            for service in project.services.values():
                name = service.get("container_name")
                if not isinstance(name, str) or is_interpolated(name):
                    continue
                first = seen.setdefault(name, service)
                if first is not service:
                    where = first.at("container_name")
                    yield Violation(f"service '{service.name}' uses container_name '{name}', already used by "
                                    f"service '{first.name}' (line {where.line})", service.at("container_name"),
                                    (Related(where, "first used here"),))

    yield from unique(found())


@rule(
    code="DC203", name="container-name-with-replicas", target=Target.PROJECT, severity=Severity.ERROR,
    summary="A service with a fixed container_name asks for more than one replica",
    rationale="Container names are unique: compose cannot create the second replica and stops.",
    fix="Remove container_name, or run a single replica.",
    tags=("correctness",),
)
def container_name_with_replicas(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        name = service.get("container_name")
        replicas = replicas_of(service)
        if name is None or replicas is None or replicas <= 1:
            return
        where = service.locate(("deploy", "replicas")) if isinstance(service.get("deploy"), YMap) \
            and "replicas" in service.get("deploy") else service.at("scale")
        yield Violation(f"service '{service.name}' sets container_name '{name}' and {replicas} replicas; "
                        "only one container can have that name", service.at("container_name"),
                        (Related(where, "replicas set here"),))

    yield from per_service(index, found)
