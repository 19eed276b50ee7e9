"""The objects of a file by line range: what baselines name a finding's object by. Apart from
baseline.py (hashlib, json) so that the whole-run cache, which stores outlines, imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelint_py.loading.source_file import SourceFile


def object_outline(source: SourceFile) -> tuple[tuple[int, int, str], ...]:
    """(first line, last line, name) of every object of a file (Kubernetes kind/namespace/name, compose
    top-level key and service, Dockerfile stage and instruction), sorted by first line, outermost first.
    A file without models (from a replayed report) carries the outline its fresh run computed."""
    if source.outline is not None:
        return source.outline
    objects: list[tuple[int, int, str]] = []
    for resource in source.resources:
        span = resource.doc_span
        objects.append((span.line, span.end_line, f"{resource.kind}/{resource.raw_namespace or ''}/{resource.name}"))
    if source.compose is not None:
        data = source.compose.data
        for key in data:
            value_span = data.value_span(key)
            objects.append((data.key_span(key).line, value_span.end_line, f"compose:{key}"))
        for name, service in source.compose.services.items():
            span = service.data.span
            objects.append((service.location.line, span.end_line, f"service:{name}"))
    if source.dockerfile is not None:
        stages = {stage.index: stage for stage in source.dockerfile.stages}
        for instruction in source.dockerfile.instructions:
            stage = stages.get(instruction.stage_index)
            stage_name = stage.name if stage is not None and stage.name else str(instruction.stage_index)
            span = instruction.span
            objects.append((span.line, span.end_line, f"stage:{stage_name}:{instruction.keyword}"))
    objects.sort(key=lambda item: (item[0], -item[1]))
    return tuple(objects)
