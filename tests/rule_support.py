"""A rule registered only for the duration of a test (so the README table and docs tests never see it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kubelint_py.core.source import Location
from kubelint_py.engine import registry as engine
from kubelint_py.engine.catalogue import load_rules
from kubelint_py.engine.registry import Parameter, Rule, RuleContext, Severity, Target, Violation


def _run_violations(target: Any, ctx: RuleContext) -> Iterable[Violation]:
    """Dockerfile test rule: one finding on the last line of every RUN instruction."""
    for instruction in target.instructions:
        if instruction.keyword == "RUN":
            yield Violation("test finding on RUN", Location(target.path, instruction.span.end_line, 1))


@contextmanager
def temporary_rule(code: str = "DF999", name: str = "test-run-end", *, target: Target = Target.DOCKERFILE,
                   parameters: Mapping[str, Parameter] | None = None, aliases: tuple[str, ...] = ("DL9999",),
                   func: Any = _run_violations) -> Iterator[Rule]:
    load_rules()
    rule_obj = Rule(code=code, name=name, format="dockerfile", target=target, severity=Severity.WARNING,
                    summary="test rule", rationale="test", fix="test", parameters=dict(parameters or {}),
                    aliases=aliases, func=func)
    engine.register(rule_obj)
    try:
        yield rule_obj
    finally:
        engine._REGISTRY.pop(code, None)
        engine._BY_NAME.pop(name, None)
