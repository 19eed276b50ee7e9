"""Base image rules."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.core.source import Location
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.dockerfile import Dockerfile
from kubelint_py.models.images import image_tag


@rule(
    code="DF301", name="base-image-unpinned", target=Target.DOCKERFILE, severity=Severity.WARNING,
    summary="FROM uses an image without a tag or with `latest`",
    rationale="`latest` (or no tag) changes under you: the same Dockerfile builds a different image "
              "tomorrow, and a rebuild can break or change behaviour with no change in the repository.",
    fix="Pin the base image to a version tag (python:3.12-slim) or, better, a digest (@sha256:...).",
    tags=("reproducibility",), aliases=("DL3006", "DL3007"),
)
def base_image_unpinned(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    stage_names = {s.name.lower() for s in dockerfile.stages if s.name}
    for stage in dockerfile.stages:
        image = stage.base_image_resolved
        if image is None or image.lower() == "scratch" or image.lower() in stage_names:
            continue
        tag = image_tag(image)
        if tag is None or tag == "latest":
            problem = "has no tag" if tag is None else "uses the 'latest' tag"
            span = stage.from_instruction.span
            yield Violation(f"base image '{image}' {problem}; pin a version or digest",
                            Location(dockerfile.path, span.line, stage.from_instruction.keyword_span.column,
                                     span.line, span.end_column if span.end_line == span.line else 0))
