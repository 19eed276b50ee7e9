"""DF323: a FROM image reference that Docker cannot parse."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kubelint_py.checks.dockerfile._common import at
from kubelint_py.engine.registry import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.dockerfile import Dockerfile

# The reference grammar of the distribution project (what docker build parses), written out here.
_DOMAIN = r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*" \
          r"[a-zA-Z0-9]))*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?")
WITHOUT_DOMAIN = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*(?::{_TAG})?(?:@{_DIGEST})?")
MAX_REFERENCE = 255 + 128 + 80


def reference_problem(reference: str) -> str | None:
    """Why Docker cannot parse an image reference (None when it can)."""
    if len(reference) > MAX_REFERENCE:
        return "is too long"
    first, slash, _ = reference.partition("/")
    # The first part is a registry only when it looks like a host (a dot, a port, or localhost).
    has_domain = bool(slash) and ("." in first or ":" in first or first == "localhost")
    if (REFERENCE if has_domain else WITHOUT_DOMAIN).fullmatch(reference):
        return None
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if last.count(":") > 1 or re.search(r":(sha256|sha512):", reference):
        return "puts a digest after ':' (a digest follows '@': image@sha256:...)"
    repository = name.split("/", 1)[-1] if has_domain else name
    if any(c.isupper() for c in repository.split(":", 1)[0]):
        return "has upper-case letters in the repository name (only lower case is allowed)"
    return "is not a valid image reference ([registry/]name[:tag][@digest])"


@rule(
    code="DF323", name="invalid-image-reference", target=Target.DOCKERFILE, severity=Severity.ERROR,
    summary="FROM names an image reference Docker cannot parse",
    rationale="`docker build` stops at a FROM it cannot parse: a digest written after ':' "
              "(`img:sha256:...` instead of `img@sha256:...`), upper-case letters in the repository, or "
              "characters a tag may not hold.",
    fix="Write `name:tag`, `name@sha256:<digest>` or `name:tag@sha256:<digest>`, in lower case.",
    tags=("correctness",),
)
def invalid_image_reference(dockerfile: Dockerfile, ctx: RuleContext) -> Iterator[Violation]:
    stage_names = {s.name.lower() for s in dockerfile.stages if s.name}
    for stage in dockerfile.stages:
        reference = stage.base_image
        if not reference or "$" in reference or reference == "scratch" or reference.lower() in stage_names:
            continue  # a build arg (an empty default means it is always passed) is only known at build time
        problem = reference_problem(reference)
        if problem:
            yield Violation(f"FROM image '{reference}' {problem}", at(dockerfile, stage.from_instruction))
