"""References between compose services and top-level definitions, and values compose rejects.

A name counts as defined when any file of the referring file's project defines it: the base and its
override, the base a layer file (`compose.full.yaml`) goes on, and included files. So a service defined
only in compose.yaml is not undefined when compose.override.yaml refers to it, and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.building.compose_project import MergedService, Scope, compose_model, per_service, split_volume
from kubelint_py.core.source import Location, Span
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.loading.compose_files import env_files, path_state
from kubelint_py.models.compose import ComposeService, is_interpolated
from kubelint_py.models.located import YList, YMap


def depends_on_entries(service: ComposeService) -> list[tuple[str, Span]]:
    """depends_on in its short (list) or long (mapping) form, with the span of each name."""
    depends = service.data.get("depends_on")
    if isinstance(depends, YList):
        return [(str(item), depends.item_span(i)) for i, item in enumerate(depends)]
    if isinstance(depends, YMap):
        return [(str(key), depends.key_span(key)) for key in depends]
    return []


def _scope(service: ComposeService, ctx: RuleContext) -> Scope:
    return compose_model(ctx.index).scope_of(service.file)


def _known(names: set[str]) -> str:
    listed = sorted(names)
    text = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
    return text or "none"


@rule(
    code="DC101", name="depends-on-undefined-service", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="depends_on names a service that is not defined",
    rationale="docker compose refuses to start a project whose depends_on names an unknown service; "
              "it is usually a typo or a service that was renamed.",
    fix="Correct the service name in depends_on, or define the missing service.",
    tags=("correctness",),
)
def depends_on_undefined_service(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    scope = _scope(service, ctx)
    if scope.has_includes_outside:
        return
    for name, span in depends_on_entries(service):
        if name not in scope.services and not is_interpolated(name):
            yield Violation(f"service '{service.name}' depends on '{name}', which is not defined "
                            f"(services: {_known(scope.services)})", Location.of(service.path, span))


@rule(
    code="DC111", name="depends-on-inactive-profile", target=Target.PROJECT, severity=Severity.WARNING,
    summary="depends_on names a service that only runs under profiles the dependent service does not enable",
    rationale="Starting a service does not enable the profiles of its dependencies: `docker compose up` "
              "fails when a service without profiles (or in other profiles) depends on a service that "
              "is only started with a profile.",
    fix="Give the dependency the same profiles (or none), give the dependent service the dependency's "
        "profile, or mark the dependency `required: false`.",
    tags=("correctness",),
)
def depends_on_inactive_profile(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        project = service.project
        depends = service.get("depends_on")
        if project is None or not isinstance(depends, YMap | YList):
            return
        mine = set(service.profiles)
        entries = list(depends.items()) if isinstance(depends, YMap) else [(str(n), None) for n in depends]
        for position, (name, options) in enumerate(entries):
            target = project.services.get(str(name))
            if target is None or not target.profiles or mine & set(target.profiles):
                continue
            if isinstance(options, YMap) and options.get("required") is False:
                continue
            needed = ", ".join(target.profiles)
            when = "without a profile" if not mine else f"with profile(s) {', '.join(sorted(mine))}"
            yield Violation(f"service '{service.name}' runs {when} but depends on '{name}', which only runs with "
                            f"profile(s) {needed}; `docker compose up` fails unless that profile is enabled",
                            service.locate(("depends_on", name if isinstance(depends, YMap) else position),
                                           on_key=True))

    yield from per_service(index, found)


def service_networks(service: ComposeService) -> list[tuple[str, Span]]:
    networks = service.data.get("networks")
    if isinstance(networks, YList):
        return [(str(item), networks.item_span(i)) for i, item in enumerate(networks)]
    if isinstance(networks, YMap):
        return [(str(key), networks.key_span(key)) for key in networks]
    return []


def is_named_volume(source: str) -> bool:
    """A volume source that names a volume rather than a host path (compose's own test)."""
    if not source or source.startswith((".", "/", "~", "\\")) or is_interpolated(source):
        return False
    return not (len(source) > 1 and source[1] == ":")  # C:\path


def named_volumes(service: ComposeService) -> list[tuple[str, Span]]:
    volumes = service.data.get("volumes")
    if not isinstance(volumes, YList):
        return []
    found: list[tuple[str, Span]] = []
    for index, item in enumerate(volumes):
        if isinstance(item, str):
            parts = split_volume(item)
            if len(parts) >= 2 and is_named_volume(parts[0]):
                found.append((parts[0], volumes.item_span(index)))
        elif isinstance(item, YMap) and item.get("type", "volume") == "volume":
            source = item.get("source")
            if isinstance(source, str) and is_named_volume(source):
                found.append((source, item.value_span("source")))
    return found


def _source_names(node: object) -> list[tuple[str, Span]]:
    """secrets/configs entries: `- name` or `- source: name`."""
    if not isinstance(node, YList):
        return []
    found: list[tuple[str, Span]] = []
    for index, item in enumerate(node):
        if isinstance(item, str):
            found.append((item, node.item_span(index)))
        elif isinstance(item, YMap) and isinstance(item.get("source"), str):
            found.append((item["source"], item.value_span("source")))
    return [(name, span) for name, span in found if not is_interpolated(name)]


@rule(
    code="DC102", name="undefined-network", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="Service joins a network that is not defined at top level",
    rationale="docker compose refuses to start a service on a network missing from the top-level "
              "`networks:` section (only `default` is implicit).",
    fix="Add the network under top-level `networks:` (with `external: true` if it is created elsewhere), "
        "or correct its name.",
    tags=("correctness",),
)
def undefined_network(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    scope = _scope(service, ctx)
    if scope.has_includes_outside:
        return
    defined = scope.sections["networks"]
    for name, span in service_networks(service):
        if name != "default" and name not in defined and not is_interpolated(name):
            yield Violation(f"service '{service.name}' joins network '{name}', which is not defined under "
                            f"top-level networks (defined: {_known(defined)})", Location.of(service.path, span))


@rule(
    code="DC103", name="undefined-volume", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="Service mounts a named volume that is not defined at top level",
    rationale="A named volume must be declared under top-level `volumes:`; otherwise docker compose "
              "refuses the file. A host path meant as a bind mount must start with `./` or `/`.",
    fix="Declare the volume under top-level `volumes:`, or write the host path as `./name` for a bind mount.",
    tags=("correctness",),
)
def undefined_volume(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    scope = _scope(service, ctx)
    if scope.has_includes_outside:
        return
    defined = scope.sections["volumes"]
    for name, span in named_volumes(service):
        if name not in defined:
            yield Violation(f"service '{service.name}' mounts named volume '{name}', which is not defined under "
                            f"top-level volumes (for a host folder write './{name}')", Location.of(service.path, span))


@rule(
    code="DC104", name="undefined-secret", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="Service or build uses a secret that is not defined at top level",
    rationale="Secrets (for the container and for the build) must be declared under top-level `secrets:`; "
              "docker compose refuses the file otherwise.",
    fix="Declare the secret under top-level `secrets:` (file:, environment: or external:), or correct its name.",
    tags=("correctness",),
)
def undefined_secret(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    scope = _scope(service, ctx)
    if scope.has_includes_outside:
        return
    defined = scope.sections["secrets"]
    build = service.data.get("build")
    entries = [("", e) for e in _source_names(service.data.get("secrets"))]
    if isinstance(build, YMap):
        entries.extend(("build ", e) for e in _source_names(build.get("secrets")))
    for where, (name, span) in entries:
        if name not in defined:
            yield Violation(f"service '{service.name}' {where}uses secret '{name}', which is not defined under "
                            f"top-level secrets (defined: {_known(defined)})", Location.of(service.path, span))


@rule(
    code="DC105", name="undefined-config", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="Service uses a config that is not defined at top level",
    rationale="Configs must be declared under top-level `configs:`; docker compose refuses the file otherwise.",
    fix="Declare the config under top-level `configs:` (file:, content:, environment: or external:), "
        "or correct its name.",
    tags=("correctness",),
)
def undefined_config(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    scope = _scope(service, ctx)
    if scope.has_includes_outside:
        return
    defined = scope.sections["configs"]
    for name, span in _source_names(service.data.get("configs")):
        if name not in defined:
            yield Violation(f"service '{service.name}' uses config '{name}', which is not defined under "
                            f"top-level configs (defined: {_known(defined)})", Location.of(service.path, span))


@rule(
    code="DC106", name="network-mode-with-networks", target=Target.PROJECT, severity=Severity.ERROR,
    summary="Service sets both network_mode and networks",
    rationale="network_mode and networks exclude each other: docker compose rejects a service with both "
              "(also when one comes from an override file).",
    fix="Remove `networks:` when the service uses network_mode, or drop network_mode.",
    tags=("correctness",),
)
def network_mode_with_networks(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        mode = service.get("network_mode")
        if mode is None or service.get("networks") is None:
            return
        yield Violation(f"service '{service.name}' sets network_mode '{mode}' and networks; compose accepts "
                        "only one of them", service.at("network_mode", on_key=True),
                        (Related(service.at("networks", on_key=True), "networks set here"),))

    yield from per_service(index, found)


_SERVICE_MODE = re.compile(r"^service:(.+)$")


def _service_refs(service: ComposeService) -> Iterator[tuple[str, str, Span]]:
    """(what, service name, span) for network_mode/pid/ipc `service:X`, volumes_from and links."""
    for key in ("network_mode", "pid", "ipc"):
        value = service.data.get(key)
        if isinstance(value, str):
            match = _SERVICE_MODE.match(value)
            if match:
                yield f"{key} 'service:{match.group(1)}'", match.group(1), service.data.value_span(key)
    for key in ("volumes_from", "links"):
        items = service.data.get(key)
        if not isinstance(items, YList):
            continue
        for index, item in enumerate(items):
            text = str(item)
            if key == "volumes_from" and text.startswith("container:"):
                continue
            name = text.split(":", 1)[0]
            yield f"{key} '{text}'", name, items.item_span(index)


@rule(
    code="DC107", name="undefined-service-reference", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="network_mode/pid/ipc `service:X`, volumes_from, links or extends name an undefined service",
    rationale="docker compose refuses a project whose service references point at a service that does not "
              "exist.",
    fix="Correct the service name, or define the service.",
    tags=("correctness",),
)
def undefined_service_reference(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    model = compose_model(ctx.index)
    scope = model.scope_of(service.file)
    for what, name, span in _service_refs(service):
        if name not in scope.services and not is_interpolated(name) and not scope.has_includes_outside:
            yield Violation(f"service '{service.name}' uses {what}, but service '{name}' is not defined",
                            Location.of(service.path, span))
    target = model.extends_target(service)
    if target is not None:
        base_file, name = target
        if base_file is not None and name not in base_file.services and not is_interpolated(name):
            where = "this file" if base_file is service.file else f"'{base_file.path}'"
            yield Violation(f"service '{service.name}' extends '{name}', which is not defined in {where}",
                            service.at("extends"))


@rule(
    code="DC108", name="env-file-missing", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="env_file names a file that does not exist",
    rationale="docker compose stops with an error when a required env_file is missing; a file that is "
              "optional must say `required: false`.",
    fix="Create the file, correct the path (relative to the compose file), or mark it `required: false`.",
    tags=("correctness",),
)
def env_file_missing(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    for entry in env_files(service.data):
        if entry.required and path_state(service.file, entry.path) == "missing":
            yield Violation(f"service '{service.name}' reads env_file '{entry.path}', which does not exist "
                            "(create it or add `required: false`)", Location.of(service.path, entry.span))


@rule(
    code="DC109", name="invalid-healthcheck-test", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="healthcheck test list does not start with CMD, CMD-SHELL or NONE",
    rationale="In list form the first item says how to run the rest; docker rejects any other first item, "
              "and `[\"curl\", ...]` is a common mistake.",
    fix="Start the list with \"CMD\" (exec) or \"CMD-SHELL\" (shell), or write the test as a string.",
    tags=("correctness",),
)
def invalid_healthcheck_test(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    healthcheck = service.data.get("healthcheck")
    if not isinstance(healthcheck, YMap):
        return
    test = healthcheck.get("test")
    if not isinstance(test, YList):
        return
    if not test:
        yield Violation(f"service '{service.name}' has an empty healthcheck test list",
                        Location.of(service.path, healthcheck.value_span("test")))
        return
    first = test[0]
    if isinstance(first, str) and (first in ("CMD", "CMD-SHELL", "NONE") or is_interpolated(first)):
        return
    yield Violation(f"service '{service.name}' healthcheck test starts with '{first}'; the first item must be "
                    f"CMD, CMD-SHELL or NONE (e.g. [\"CMD\", \"{first}\", ...])",
                    Location.of(service.path, test.item_span(0)))


_RESTART = re.compile(r"^(?:no|always|unless-stopped|on-failure(?::[0-9]+)?)$")


@rule(
    code="DC110", name="invalid-restart-policy", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="restart is not one of no, always, on-failure[:N], unless-stopped",
    rationale="docker compose rejects other values; `restart: on_failure` or `restart: yes` are common typos.",
    fix="Use no, always, on-failure, on-failure:N or unless-stopped (quote \"no\").",
    tags=("correctness",),
)
def invalid_restart_policy(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    if "restart" not in service.data:
        return
    value = service.data.get("restart")
    if isinstance(value, str) and (_RESTART.match(value) or is_interpolated(value)):
        return
    shown = "false" if value is False else "true" if value is True else value
    yield Violation(f"service '{service.name}' has restart '{shown}'; use no, always, on-failure[:N] or "
                    "unless-stopped", service.at("restart"))
