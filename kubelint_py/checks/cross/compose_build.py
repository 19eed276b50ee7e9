"""Compose against the Dockerfiles it builds, and Kubernetes against the images compose builds.

The loader records which build contexts and Dockerfiles exist (compose_files.probe_compose_paths), and
api.lint loads the Dockerfiles compose builds even when discovery would not find them by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.building.compose_builds import BuiltDockerfile, built_dockerfiles
from kubelint_py.building.compose_project import MergedService, compose_model, unique
from kubelint_py.core.source import Location
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import Related, RuleContext, Severity, Target, Violation, rule
from kubelint_py.loading.compose_files import build_paths, dockerfile_names, path_state
from kubelint_py.models.compose import ComposeService, is_interpolated
from kubelint_py.models.compose_ports import parse_port
from kubelint_py.models.dockerfile import Dockerfile, Stage
from kubelint_py.models.images import image_repository, image_tag
from kubelint_py.models.located import YList, YMap


def _build_location(service: ComposeService, key: str) -> Location:
    build = service.data.get("build")
    if isinstance(build, YMap) and key in build:
        return Location.of(service.path, build.value_span(key))
    return service.at("build")


@rule(
    code="XF101", name="build-context-missing", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="A service's build context folder does not exist",
    rationale="`docker compose build` fails at once when the context folder is missing; it is usually a "
              "folder that was moved or renamed.",
    fix="Correct `build:` / `build.context` (relative to the compose file's folder), or create the folder.",
    tags=("correctness", "cross-format"),
)
def build_context_missing(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    paths = build_paths(service.data)
    if paths is None or path_state(service.file, paths.context) != "missing":
        return
    yield Violation(f"service '{service.name}' builds from context '{paths.context}', which does not exist",
                    _build_location(service, "context"))


@rule(
    code="XF102", name="dockerfile-missing", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="The Dockerfile a service builds does not exist",
    rationale="`docker compose build` fails when the build context has no Dockerfile at the given path "
              "(`dockerfile:` is relative to the context, not to the compose file).",
    fix="Correct `build.dockerfile` (relative to the build context), or add the Dockerfile.",
    tags=("correctness", "cross-format"),
)
def dockerfile_missing(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    paths = build_paths(service.data)
    if paths is None or path_state(service.file, paths.context) != "dir":
        return
    names = dockerfile_names(paths)
    if not names or any(path_state(service.file, n) == "file" for n in names):
        return
    if all(path_state(service.file, n) == "missing" for n in names):
        written = paths.dockerfile or "Dockerfile"
        yield Violation(f"service '{service.name}' builds '{written}' in context '{paths.context}', but there "
                        "is no such file", _build_location(service, "dockerfile" if paths.dockerfile else "context"))


# --- ports ------------------------------------------------------------------------------------------

_EXPOSE_ITEM = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.IGNORECASE)


def exposed_ports(dockerfile: Dockerfile, stage: Stage | None) -> set[tuple[int, str]] | None:
    """(port, protocol) the stage (and the stages it builds on) EXPOSE; None when unknowable."""
    found: set[tuple[int, str]] = set()
    seen: set[int] = set()
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        for instruction in stage.instructions:
            if instruction.keyword != "EXPOSE":
                continue
            for word in instruction.arguments.split():
                match = _EXPOSE_ITEM.match(word.strip("'\""))
                if match is None:
                    return None  # ${PORT} and the like
                first = int(match.group(1))
                last = int(match.group(2) or first)
                protocol = (match.group(3) or "tcp").lower()
                found.update((p, protocol) for p in range(first, min(last, first + 5000) + 1))
        stage = dockerfile.stages[stage.parent_stage] if stage.parent_stage is not None \
            and stage.parent_stage < len(dockerfile.stages) else None
    return found


def _expose_location(built: BuiltDockerfile) -> Location:
    for instruction in built.stage.instructions if built.stage is not None else ():
        if instruction.keyword == "EXPOSE":
            return Location.of(built.dockerfile.path, instruction.span)
    return Location(built.dockerfile.path, 1)


@rule(
    code="XF103", name="port-not-exposed", target=Target.PROJECT, severity=Severity.INFO,
    summary="A published container port is not among the Dockerfile's EXPOSE ports",
    rationale="When the image declares the ports it listens on, a compose port mapping or Kubernetes "
              "containerPort to another port usually points at nothing (a typo, or the app moved port).",
    fix="Map the port the application listens on, or add it to the Dockerfile's EXPOSE.",
    tags=("correctness", "cross-format"),
)
def port_not_exposed(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found() -> Iterator[Violation]:
        by_image: dict[str, tuple[BuiltDockerfile, set[tuple[int, str]]]] = {}
        for built in built_dockerfiles(index):
            exposed = exposed_ports(built.dockerfile, built.stage)
            if not exposed:
                continue
            image = built.service.image
            if image is not None and not is_interpolated(image):
                by_image.setdefault(image_repository(image), (built, exposed))
            yield from _compose_ports(built, exposed)
        if not by_image:
            return
        for workload in index.workloads:
            for container in workload.containers:
                image = container.image
                if image is None or image_repository(image) not in by_image:
                    continue
                built, exposed = by_image[image_repository(image)]
                ports = container.get_list("ports")
                for _, port in ports.maps() if ports is not None else ():
                    number = port.get("containerPort")
                    protocol = str(port.get("protocol") or "TCP").lower()
                    if isinstance(number, int) and (number, protocol) not in exposed:
                        yield Violation(
                            f"container '{container.name}' declares containerPort {number}, but its image "
                            f"(built by compose service '{built.service.name}' from {built.dockerfile.path}) "
                            f"EXPOSEs only {_show(exposed)}", container.resource.at(port, "containerPort"),
                            (Related(_expose_location(built), "EXPOSE here"),))

    yield from unique(found())


def _show(exposed: set[tuple[int, str]]) -> str:
    items = sorted(exposed)
    text = ", ".join(f"{p}" + ("" if proto == "tcp" else f"/{proto}") for p, proto in items[:8])
    return text + (", ..." if len(items) > 8 else "")


def _compose_ports(built: BuiltDockerfile, exposed: set[tuple[int, str]]) -> Iterator[Violation]:
    service: MergedService = built.service
    ports = service.get("ports")
    items = list(enumerate(ports)) if isinstance(ports, YList) else []
    for position, item in items:
        mapping = parse_port(item)
        if mapping is None:
            continue
        first, last = mapping.target
        missing = [p for p in range(first, min(last, first + 5000) + 1) if (p, mapping.protocol) not in exposed]
        if missing:
            yield Violation(f"service '{service.name}' maps container port {missing[0]}/{mapping.protocol}, but "
                            f"{built.dockerfile.path} EXPOSEs only {_show(exposed)}",
                            service.locate(("ports", position)), (Related(_expose_location(built), "EXPOSE here"),))


# --- images -----------------------------------------------------------------------------------------


def built_images(index: ProjectIndex) -> dict[str, tuple[str | None, MergedService]]:
    """repository -> (tag, service) for every compose service that builds a named image."""
    found: dict[str, tuple[str | None, MergedService]] = {}
    for _, service in compose_model(index).unique_services():
        image = service.image
        if service.get("build") is None or image is None or is_interpolated(image):
            continue
        found.setdefault(image_repository(image), (image_tag(image), service))
    return found


@rule(
    code="XF104", name="k8s-image-differs-from-compose-build", target=Target.PROJECT, severity=Severity.INFO,
    summary="A Kubernetes container runs an image built here, but with another tag or `latest`",
    rationale="When compose builds `shop/web:1.4` and a manifest deploys `shop/web:latest` or `:1.3`, the "
              "cluster runs something other than what this repository builds and tests.",
    fix="Deploy the tag compose builds (or have both read the tag from one place).",
    tags=("reproducibility", "cross-format"),
)
def k8s_image_differs_from_compose_build(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    built = built_images(index)
    if not built:
        return
    for workload in index.workloads:
        for container in workload.containers:
            image = container.image
            if image is None or image_repository(image) not in built:
                continue
            tag = image_tag(image) or "latest"
            built_tag, service = built[image_repository(image)]
            if tag == (built_tag or "latest") or tag.startswith("@") or (built_tag or "").startswith("@"):
                continue  # same tag; a digest cannot be compared with a tag
            shown = "the 'latest' tag" if tag == "latest" else f"tag '{tag}'"
            yield Violation(f"container '{container.name}' runs '{image}' with {shown}, but compose service "
                            f"'{service.name}' builds '{service.image}'", container.at("image"),
                            (Related(service.at("image"), "built here"),))


PREDEFINED_ARGS = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy",
                             "https_proxy", "ftp_proxy", "no_proxy", "all_proxy", "BUILDKIT_INLINE_CACHE",
                             "BUILDKIT_MULTI_PLATFORM", "BUILDKIT_SANDBOX_HOSTNAME", "BUILDKIT_SYNTAX",
                             "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_CACHE_MOUNT_NS", "SOURCE_DATE_EPOCH"})


def declared_args(dockerfile: Dockerfile) -> set[str]:
    names = set(dockerfile.global_args)
    for stage in dockerfile.stages:
        names.update(stage.args)
    for instruction in dockerfile.instructions:
        if instruction.keyword == "ARG":
            names.update(name for name, _ in instruction.pairs)
    return names


@rule(
    code="XF105", name="build-arg-not-declared", target=Target.PROJECT, severity=Severity.WARNING,
    summary="A compose build arg is not declared by any ARG in the Dockerfile",
    rationale="A build arg the Dockerfile does not declare is ignored (docker only warns that it was not "
              "consumed): the setting silently has no effect, usually because of a typo.",
    fix="Declare it with `ARG NAME` in the Dockerfile (in the stage that uses it), or remove it from build.args.",
    tags=("correctness", "cross-format"),
)
def build_arg_not_declared(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found() -> Iterator[Violation]:
        for built in built_dockerfiles(index):
            declared = declared_args(built.dockerfile)
            build = built.service.get("build")
            args = build.get("args") if isinstance(build, YMap) else None
            if isinstance(args, YMap):
                entries = [(str(k), ("build", "args", k)) for k in args]
            elif isinstance(args, YList):
                entries = [(str(item).partition("=")[0], ("build", "args", i)) for i, item in enumerate(args)]
            else:
                continue
            for name, path in entries:
                if name in declared or name in PREDEFINED_ARGS or is_interpolated(name):
                    continue
                yield Violation(f"service '{built.service.name}' passes build arg {name}, but "
                                f"{built.dockerfile.path} declares no ARG {name}; it has no effect",
                                built.service.locate(path, on_key=isinstance(args, YMap)))

    yield from unique(found())


_FROM_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _stage_chain(dockerfile: Dockerfile, stage: Stage | None) -> list[Stage]:
    chain: list[Stage] = []
    while stage is not None and stage not in chain:
        chain.append(stage)
        parent = stage.parent_stage
        stage = dockerfile.stages[parent] if parent is not None and parent < len(dockerfile.stages) else None
    return chain


@rule(
    code="XF106", name="from-arg-not-passed", target=Target.PROJECT, severity=Severity.ERROR,
    summary="The Dockerfile's FROM needs a build arg (ARG without default) that compose does not pass",
    rationale="`ARG BASE` then `FROM ${BASE}` builds only when the arg is given: `docker compose build` "
              "fails with 'base name should not be blank' when the service's build.args omit it.",
    fix="Add the arg under the service's build.args, or give the ARG a default in the Dockerfile.",
    tags=("correctness", "cross-format"),
)
def from_arg_not_passed(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found() -> Iterator[Violation]:
        for built in built_dockerfiles(index):
            dockerfile = built.dockerfile
            for stage in reversed(_stage_chain(dockerfile, built.stage)):
                for match in _FROM_VARIABLE.finditer(stage.base_image):
                    name = match.group(1) or match.group(3)
                    modifier = match.group(2) or ""
                    if modifier.startswith((":-", "-", ":+", "+")):
                        continue  # ${BASE:-python:3.12} has its own default
                    if name not in dockerfile.global_args or dockerfile.global_args[name] is not None:
                        continue
                    if name in built.args:
                        continue  # passed (a bare name takes the value from the environment)
                    build_at = built.service.at("build", on_key=True)
                    yield Violation(f"service '{built.service.name}' builds {dockerfile.path}, whose FROM on line "
                                    f"{stage.from_instruction.span.line} needs build arg {name} (ARG without "
                                    "default), but build.args does not pass it", build_at,
                                    (Related(Location.of(dockerfile.path, stage.from_instruction.span),
                                             "FROM uses it here"),))

    yield from unique(found())


@rule(
    code="XF107", name="secret-in-compose-build-context", target=Target.PROJECT, severity=Severity.ERROR,
    summary="A compose build context holds a secret file that .dockerignore lets into a whole-context COPY",
    rationale="With `build.context` pointing elsewhere than the Dockerfile's folder, `COPY . .` copies that "
              "folder: a .env, a private key or an .npmrc in it ends up in the image. The Dockerfile alone "
              "cannot show this; only the compose file says which folder is the context.",
    fix="Exclude the files in the context's .dockerignore, or copy only what the image needs.",
    tags=("security", "secrets", "cross-format"),
)
def secret_in_compose_build_context(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    from kubelint_py.building.compose_builds import ComposeContext
    from kubelint_py.loading.build_context import is_whole_context_copy

    contexts = index.derived.get("compose_contexts")
    for item in contexts if isinstance(contexts, list) else []:
        if not isinstance(item, ComposeContext):
            continue
        leaked = item.listing.leaked()
        if not leaked:
            continue
        shown = ", ".join(leaked[:5]) + (f" and {len(leaked) - 5} more" if len(leaked) > 5 else "")
        dockerfile = item.built.dockerfile
        copies = [ins for ins in dockerfile.instructions if is_whole_context_copy(ins)]
        related = tuple(Related(Location(dockerfile.path, ins.span.line, ins.keyword_span.column),
                                f"`{ins.keyword} {ins.arguments}` copies the whole context") for ins in copies)
        where = item.listing.ignore_file or ".dockerignore (none found)"
        yield Violation(
            f"service '{item.built.service.name}' builds with context '{item.context}', which holds {shown}; "
            f"the Dockerfile copies the whole context and {where} does not exclude "
            f"{'it' if len(leaked) == 1 else 'them'}",
            item.built.service.locate(("build",), on_key=True), related)
