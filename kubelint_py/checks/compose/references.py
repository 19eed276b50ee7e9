"""References between compose services and top-level definitions."""

from __future__ import annotations

from collections.abc import Iterator

from kubelint_py.engine import RuleContext, Severity, Target, Violation, rule
from kubelint_py.models.compose import ComposeService
from kubelint_py.models.located import YList, YMap
from kubelint_py.source import Location, Span


def depends_on_entries(service: ComposeService) -> list[tuple[str, Span]]:
    """depends_on in its short (list) or long (mapping) form, with the span of each name."""
    depends = service.data.get("depends_on")
    if isinstance(depends, YList):
        return [(str(item), depends.item_span(i)) for i, item in enumerate(depends)]
    if isinstance(depends, YMap):
        return [(str(key), depends.key_span(key)) for key in depends]
    return []


@rule(
    code="DC101", name="depends-on-undefined-service", target=Target.COMPOSE_SERVICE, severity=Severity.ERROR,
    summary="depends_on names a service that is not defined",
    rationale="docker compose refuses to start a project whose depends_on names an unknown service; "
              "it is usually a typo or a service that was renamed.",
    fix="Correct the service name in depends_on, or define the missing service.",
    tags=("correctness",),
)
def depends_on_undefined_service(service: ComposeService, ctx: RuleContext) -> Iterator[Violation]:
    defined = service.file.services
    for name, span in depends_on_entries(service):
        if name not in defined:
            known = ", ".join(sorted(defined)) or "none"
            yield Violation(f"service '{service.name}' depends on '{name}', which is not defined "
                            f"(services: {known})", Location.of(service.path, span))
