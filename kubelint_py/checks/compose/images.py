"""Images and YAML traps in compose files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.building.compose_project import MergedService, per_service
from kubelint_py.checks.yaml_edits import delete_top_level_entry, quote_plain
from kubelint_py.engine.index import ProjectIndex
from kubelint_py.engine.registry import SAFE, Fix, RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import ComposeFile, is_interpolated
from kubelint_py.models.images import image_tag
from kubelint_py.models.located import YList


@rule(
    code="DC401", name="image-unpinned", target=Target.PROJECT, severity=Severity.WARNING,
    summary="Service image has no tag or uses `latest`",
    rationale="`latest` (or no tag) is whatever was pushed last: two `docker compose pull` runs can start "
              "different software.",
    fix="Pin a version tag (postgres:16.4) or a digest (@sha256:...).",
    tags=("reproducibility",),
)
def image_unpinned(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        image = service.get("image")
        # With build: (from any file of the project), image: names the image compose builds.
        if not isinstance(image, str) or is_interpolated(image) or service.get("build") is not None:
            return
        tag = image_tag(image)
        if tag is None or tag == "latest":
            problem = "has no tag" if tag is None else "uses the 'latest' tag"
            yield Violation(f"service '{service.name}' image '{image}' {problem}; pin a version or digest",
                            service.at("image"))

    yield from per_service(index, found)


# YAML 1.1 reads `22:22` (plain, digits:digits with the last part under 60) as a base-60 number.
_SEXAGESIMAL = re.compile(r"^[1-9][0-9]*(?::[0-5]?[0-9])+$")


def _is_plain(text_lines: list[str], line: int, column: int) -> bool:
    if not 0 < line <= len(text_lines):
        return False
    row = text_lines[line - 1]
    return 0 < column <= len(row) and row[column - 1] not in "'\""


@rule(
    code="DC402", name="port-read-as-base-60", target=Target.COMPOSE_FILE, severity=Severity.WARNING,
    summary="Unquoted port mapping that YAML 1.1 reads as a base-60 number",
    rationale="YAML 1.1 readers (docker-compose v1, PyYAML-based tools) turn an unquoted `22:22` into "
              "the number 1342, so the mapping silently publishes the wrong port.",
    fix="Quote port mappings: \"22:22\".",
    tags=("correctness", "yaml"), autofix=SAFE,
)
def port_read_as_base_60(compose: ComposeFile, ctx: RuleContext) -> Iterator[Violation]:
    lines: list[str] | None = None
    for service in compose.services.values():
        ports = service.data.get("ports")
        if not isinstance(ports, YList):
            continue
        for index, item in enumerate(ports):
            if not isinstance(item, str) or not _SEXAGESIMAL.match(item):
                continue
            if lines is None:
                lines = compose.text.splitlines()
            span = ports.item_span(index)
            if _is_plain(lines, span.line, span.column):
                quotes = quote_plain(span) if span.end_column - span.column == len(item) else None
                yield Violation(f"service '{service.name}' port '{item}' is unquoted; YAML 1.1 tools read it as "
                                "a base-60 number: quote it", service.item_at("ports", index),
                                fix=Fix(quotes, True, f'quote the port: "{item}"') if quotes else None)


@rule(
    code="DC403", name="obsolete-version", target=Target.COMPOSE_FILE, severity=Severity.INFO,
    summary="Top-level `version` is obsolete",
    rationale="The Compose Specification ignores `version`; docker compose prints a warning for it, and "
              "it suggests features are limited to that old format when they are not.",
    fix="Delete the top-level `version:` line.",
    tags=("style",), autofix=SAFE,
)
def obsolete_version(compose: ComposeFile, ctx: RuleContext) -> Iterator[Violation]:
    if "version" in compose.data:
        edit = delete_top_level_entry(compose.data, "version")
        yield Violation("top-level 'version' is obsolete and ignored by docker compose; remove it",
                        compose.at(compose.data, "version", on_key=True),
                        fix=Fix((edit,), True, "delete the `version:` line") if edit else None)


@rule(
    code="DC404", name="build-and-image-without-pull-policy", target=Target.PROJECT, severity=Severity.INFO,
    summary="Service sets both build and image but no pull_policy",
    rationale="With both, `docker compose up` first tries to pull `image` and builds only when the pull "
              "fails: a stale or foreign image of that name silently replaces the local build.",
    fix="Set `pull_policy: build` (always build) or `pull_policy: missing`, or drop one of build/image.",
    tags=("reproducibility",),
)
def build_and_image_without_pull_policy(index: ProjectIndex, ctx: RuleContext) -> Iterator[Violation]:
    def found(service: MergedService) -> Iterator[Violation]:
        if service.get("build") is not None and service.get("image") is not None \
                and service.get("pull_policy") is None:
            yield Violation(f"service '{service.name}' sets build and image '{service.image}' without "
                            "pull_policy; compose may pull that image instead of building it",
                            service.at("image", on_key=True))

    yield from per_service(index, found)
